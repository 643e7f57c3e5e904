package annexb

import (
	"os"
	"testing"
)

func TestSplit(t *testing.T) {
	b := []byte{0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 4, 5}
	got := Split(b)
	want := [][]byte{{0x67, 1, 2}, {0x68, 3}, {0x65, 4, 5}}
	if len(got) != len(want) {
		t.Fatalf("got %d NAL units, want %d", len(got), len(want))
	}
	for i := range want {
		if string(got[i]) != string(want[i]) {
			t.Errorf("NAL unit %d = %x, want %x", i, got[i], want[i])
		}
	}
	if n := Split([]byte{1, 2, 3}); len(n) != 0 {
		t.Errorf("no start code: got %d NAL units", len(n))
	}
}

func TestAccessUnitsOfClips(t *testing.T) {
	for _, tc := range []struct {
		file      string
		hevc      bool
		aus, keys int
	}{
		{"cam1080p25.h264", false, 100, 2},
		{"cam720p25.hevc", true, 100, 2},
		{"reschange.h264", false, 100, 4},
	} {
		b, err := os.ReadFile("../../testdata/" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		aus := AccessUnits(b, tc.hevc)
		keys := 0
		for _, au := range aus {
			if IsKeyframe(au, tc.hevc) {
				keys++
			}
		}
		if len(aus) != tc.aus || keys != tc.keys {
			t.Errorf("%s: %d access units with %d keyframes, want %d with %d", tc.file, len(aus), keys, tc.aus, tc.keys)
		}
		if !IsKeyframe(aus[0], tc.hevc) {
			t.Errorf("%s: first access unit is not a keyframe", tc.file)
		}
	}
}
