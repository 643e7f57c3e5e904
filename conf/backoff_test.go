package conf

import (
	"strings"
	"testing"
)

// TestBackoffBounds: absurd backoff durations are refused with the setting's
// name and its bounds, not accepted into a Delay that would overflow.
func TestBackoffBounds(t *testing.T) {
	for _, tc := range []struct{ backoff, want string }{
		{"{min: 2562047h}", "backoff.min 2562047h0m0s: must be between 10ms and 1m0s"},
		{"{max: 100000h}", "backoff.max 100000h0m0s: must be between backoff.min (500ms) and 1h0m0s"},
		{"{min: 1ms}", "backoff.min 1ms"},
	} {
		_, err := Parse([]byte("cameras:\n  a:\n    url: rtsp://x/y\n    backoff: " + tc.backoff + "\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("backoff %s: error %v, want it to say %q", tc.backoff, err, tc.want)
		}
	}
	if _, err := Parse([]byte("cameras:\n  a:\n    url: rtsp://x/y\n    backoff: {min: 200ms, max: 5m}\n")); err != nil {
		t.Errorf("a reasonable backoff refused: %v", err)
	}
}
