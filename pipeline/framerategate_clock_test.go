package pipeline

import (
	"testing"
	"time"
)

// TestGateAndGridForYears: a 25 fps camera cut to 10 fps keeps 10 pictures
// a second, stamped exactly 1/10 s apart, at 30 hours (across the 28.5-hour
// mark), one year and ten years of stream time.
func TestGateAndGridForYears(t *testing.T) {
	day := 24 * time.Hour
	for _, at := range []time.Duration{overflowAt - 2*time.Second, 30 * time.Hour, 365 * day, 10 * 365 * day} {
		gate, grid := NewFrameRateGate(10), newFrameGrid(10)
		var stamps []time.Duration
		for i := 0; i < 100; i++ { // 4 s at 25 fps
			pts := at + time.Duration(i)*40*time.Millisecond
			if gate.Accept(pts) {
				stamps = append(stamps, grid.stamp(pts))
			}
		}
		if len(stamps) != 40 {
			t.Fatalf("at %v: %d pictures kept of 100 at 25 fps, want 40", at, len(stamps))
		}
		for i := 1; i < len(stamps); i++ {
			if d := stamps[i] - stamps[i-1]; d != 100*time.Millisecond {
				t.Fatalf("at %v: stamps %v then %v", at, stamps[i-1], stamps[i])
			}
		}
	}
}
