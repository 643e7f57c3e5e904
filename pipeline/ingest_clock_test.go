package pipeline

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/stream"
)

// ingestRig is a camera with a decoder queue and no goroutines: what ingest
// queues for decoding is what the test reads.
func ingestRig(t *testing.T) (*Camera, *sourceHandler) {
	t.Helper()
	c := &Camera{log: zerolog.Nop(), outs: []*output{{}}}
	c.feed.init(c, "main", nil, c.log, 1000)
	h := (*sourceHandler)(&c.feed)
	if err := h.OnSession(rtsp.SessionInfo{Codec: codec.H264}); err != nil {
		t.Fatal(err)
	}
	return c, h
}

func queuedPTS(c *Camera) []time.Duration {
	var pts []time.Duration
	for len(c.queue) > 0 {
		pts = append(pts, (<-c.queue).au.PTS)
	}
	return pts
}

// TestIngestKeepsBFrameTimes: a camera with B-frames sends pictures whose
// times go back in decode order, by design (I0 P3 B1 B2 P6 B4 B5): the
// decoder gets the camera's times, which it puts back in presentation
// order, not times "corrected" into an order they never had.
func TestIngestKeepsBFrameTimes(t *testing.T) {
	c, h := ingestRig(t)
	frame := time.Second / 30
	order := []int{0, 3, 1, 2, 6, 4, 5, 9, 7, 8}
	for i, n := range order {
		h.OnUnit(stream.Unit{Kind: stream.Video, Data: [][]byte{{0x41}}, PTS: time.Duration(n) * frame, Keyframe: i == 0})
	}
	got := queuedPTS(c)
	for i, n := range order {
		if want := time.Duration(n) * frame; got[i]-got[0] != want {
			t.Fatalf("access unit %d: pts %v after the first, want %v (all: %v)", i, got[i]-got[0], want, got)
		}
	}
}

// TestIngestStandingClock: a camera whose clock stands still (every picture
// with one time) gets times from the pictures' arrival, which grow.
func TestIngestStandingClock(t *testing.T) {
	c, h := ingestRig(t)
	for i := 0; i < 5; i++ {
		h.OnUnit(stream.Unit{Kind: stream.Video, Data: [][]byte{{0x41}}, PTS: time.Second, Keyframe: i == 0})
		time.Sleep(2 * time.Millisecond)
	}
	got := queuedPTS(c)
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("pts %v after %v: a standing clock must still give growing times (%v)", got[i], got[i-1], got)
		}
	}
}

// TestIngestClockJumpsBack: a camera whose clock jumps back by more than any
// reordering (its clock was reset) keeps going forward from where it was,
// at the camera's pace again from the next picture.
func TestIngestClockJumpsBack(t *testing.T) {
	c, h := ingestRig(t)
	frame := 40 * time.Millisecond
	for i := 0; i < 5; i++ {
		h.OnUnit(stream.Unit{Kind: stream.Video, Data: [][]byte{{0x41}}, PTS: time.Hour + time.Duration(i)*frame, Keyframe: i == 0})
	}
	for i := 0; i < 5; i++ {
		h.OnUnit(stream.Unit{Kind: stream.Video, Data: [][]byte{{0x41}}, PTS: time.Duration(i) * frame})
	}
	got := queuedPTS(c)
	for i := 1; i < len(got); i++ {
		if d := got[i] - got[i-1]; d <= 0 || d > time.Second {
			t.Fatalf("pts %v after %v (%v)", got[i], got[i-1], got)
		}
	}
	for i := 6; i < len(got); i++ {
		if d := got[i] - got[i-1]; d != frame {
			t.Fatalf("after the jump: step %v, want the camera's %v (%v)", d, frame, got)
		}
	}
}
