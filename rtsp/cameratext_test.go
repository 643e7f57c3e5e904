package rtsp

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/camgate/camgate/rtsp/rtsptest"
)

func TestCameraText(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"H264/90000 + PCMU/8000", 100, "H264/90000 + PCMU/8000"},
		{"caméra", 100, "caméra"},
		{"a\x1b[31mred\r\nfake log line\x00\xff", 100, `a\x1b[31mred\x0d\x0afake log line\x00\xff`},
		{"back\\slash", 100, `back\\slash`},
		{"rtl\u202eevil", 100, `rtl\u202eevil`},
		{"\uFFFD", 100, "\uFFFD"},
		{strings.Repeat("x", 30), 10, strings.Repeat("x", 10) + "…(30 bytes)"},
		// An escape is never cut in the middle.
		{strings.Repeat("\x01", 30), 10, `\x01\x01` + "…(30 bytes)"},
	} {
		if got := CameraText(tc.in, tc.limit); got != tc.want {
			t.Errorf("CameraText(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

// TestHostileSDPEscaped: a camera whose SDP holds binary bytes, terminal
// escapes and a huge line gets an error that is printable and short.
func TestHostileSDPEscaped(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("\xfe\x00\x1b[2J", 2000)
	for name, sdp := range map[string]string{
		"malformed":     "v=0\r\n\x1b]0;pwned\x07" + huge + "\r\nm=video 0 RTP/AVP 96\r\n",
		"binary codec":  "v=0\r\ns=cam\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H\x00\x1b[31m" + huge + "/90000\r\n",
		"binary medias": "v=0\r\ns=cam\r\nt=0 0\r\nm=video 0 RTP/AVP 97\r\na=rtpmap:97 \x1b[31mX\xff\r\nm=audio 0 RTP/AVP 98\r\na=rtpmap:98 \x07\n\r\n",
	} {
		url := rtsptest.DescribeCamera(t, sdp)
		src, err := NewSource(SourceConfig{URL: url, ConnectTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		err = src.Run(context.Background(), &recorder{})
		if err == nil {
			t.Fatalf("%s: a session with a hostile camera succeeded", name)
		}
		t.Logf("%s: %s", name, err)
		rtsptest.Printable(t, name+": error", err.Error(), maxErrorText+len("…(123456 bytes)"))
	}
}
