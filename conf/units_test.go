package conf

import "testing"

func TestParseHelpers(t *testing.T) {
	for in, want := range map[string]int{"512k": 512_000, "2M": 2_000_000, "2.5M": 2_500_000, "800000": 800_000} {
		if got, err := ParseBitrate(in); err != nil || got != want {
			t.Errorf("ParseBitrate(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "fast", "-1k", "0"} {
		if _, err := ParseBitrate(bad); err == nil {
			t.Errorf("ParseBitrate(%q) accepted", bad)
		}
	}
	if w, h, err := ParseSize("1280x720"); err != nil || w != 1280 || h != 720 {
		t.Errorf("ParseSize: %d %d %v", w, h, err)
	}
}
