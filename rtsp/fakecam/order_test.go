package fakecam

import (
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestPresentationOrderOfBFrames: the order LoadClip reads from the POC of
// an x264 clip with two B-frames (and B-pyramid) is the order Debian's
// ffprobe shows its pictures in.
func TestPresentationOrderOfBFrames(t *testing.T) {
	// Encoded into Matroska, which keeps each packet's pts, then copied
	// out as the raw stream a camera sends.
	mkv, path := filepath.Join(t.TempDir(), "bframes.mkv"), filepath.Join(t.TempDir(), "bframes.h264")
	for _, args := range [][]string{
		{"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30", "-t", "3", "-c:v", "libx264", "-preset", "veryfast",
			"-bf", "2", "-g", "30", "-r", "30", mkv},
		{"-i", mkv, "-c", "copy", "-f", "h264", path},
	} {
		out, err := exec.Command("ffmpeg", append([]string{"-nostdin", "-v", "error"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, out)
		}
	}
	clip, err := LoadClip(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(clip.Order) != len(clip.AccessUnits) {
		t.Fatalf("order of %d access units: %v", len(clip.AccessUnits), clip.Order)
	}
	// ffprobe's pts of each packet, in decode order, ranked.
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=pts", "-of", "csv=p=0", mkv).Output()
	if err != nil {
		t.Fatal(err)
	}
	var pts []int
	for _, l := range strings.Fields(string(out)) {
		v, err := strconv.Atoi(strings.TrimRight(l, ","))
		if err != nil {
			t.Fatalf("ffprobe pts %q", l)
		}
		pts = append(pts, v)
	}
	if len(pts) != len(clip.AccessUnits) {
		t.Fatalf("ffprobe: %d packets, LoadClip: %d access units", len(pts), len(clip.AccessUnits))
	}
	idx := make([]int, len(pts))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return pts[idx[a]] < pts[idx[b]] })
	reordered := 0
	for rank, i := range idx {
		if clip.Order[i] != rank {
			t.Fatalf("access unit %d: rank %d, ffprobe's %d", i, clip.Order[i], rank)
		}
		if i != rank {
			reordered++
		}
	}
	if reordered == 0 || clip.reorderDelay() < 1 {
		t.Fatalf("no B-frames seen (delay %d)", clip.reorderDelay())
	}
	t.Logf("%d access units, %d shown out of order, reorder delay %d frames", len(pts), reordered, clip.reorderDelay())

	// A clip without B-frames keeps a nil order.
	noB, err := LoadClip("../../testdata/reschange.h264")
	if err != nil {
		t.Fatal(err)
	}
	if noB.Order != nil {
		t.Errorf("clip without B-frames: order %v", noB.Order[:10])
	}
}
