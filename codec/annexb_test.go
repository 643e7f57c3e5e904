package codec

import (
	"os"
	"testing"
)

func TestSplitAnnexB(t *testing.T) {
	b := []byte{0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 4, 5}
	got := SplitAnnexB(b)
	want := [][]byte{{0x67, 1, 2}, {0x68, 3}, {0x65, 4, 5}}
	if len(got) != len(want) {
		t.Fatalf("got %d NAL units, want %d", len(got), len(want))
	}
	for i := range want {
		if string(got[i]) != string(want[i]) {
			t.Errorf("NAL unit %d = %x, want %x", i, got[i], want[i])
		}
	}
	if n := SplitAnnexB([]byte{1, 2, 3}); len(n) != 0 {
		t.Errorf("no start code: got %d NAL units", len(n))
	}
}

func TestAnnexBAccessUnitsOfClips(t *testing.T) {
	for _, tc := range []struct {
		file      string
		codec     Codec
		aus, keys int
	}{
		{"cam1080p25.h264", H264, 100, 2},
		{"cam720p25.hevc", H265, 100, 2},
		{"reschange.h264", H264, 100, 4},
	} {
		b, err := os.ReadFile("../testdata/" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		aus := AnnexBAccessUnits(b, tc.codec)
		keys := 0
		for _, au := range aus {
			if IsKeyframe(tc.codec, au) {
				keys++
			}
		}
		if len(aus) != tc.aus || keys != tc.keys {
			t.Errorf("%s: %d access units with %d keyframes, want %d with %d", tc.file, len(aus), keys, tc.aus, tc.keys)
		}
		if !IsKeyframe(tc.codec, aus[0]) {
			t.Errorf("%s: first access unit is not a keyframe", tc.file)
		}
	}
}
