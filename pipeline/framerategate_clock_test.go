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

// TestGatePrefersScaledPictures: a 15 fps tile of a 25 fps camera whose
// 10 fps sub keeps its own pictures takes 15 pictures a second either way,
// but, preferring the sub's, shares all 10 of them instead of 5.
func TestGatePrefersScaledPictures(t *testing.T) {
	for _, prefer := range []bool{false, true} {
		sub, tile := NewFrameRateGate(10), NewFrameRateGate(15)
		kept, shared := 0, 0
		for i := 0; i < 250; i++ { // 10 s at 25 fps
			pts := time.Duration(i) * 40 * time.Millisecond
			bySub := sub.Accept(pts)
			var byTile bool
			if prefer && bySub {
				byTile = tile.AcceptPreferred(pts)
			} else {
				byTile = tile.Accept(pts)
			}
			if byTile {
				kept++
				if bySub {
					shared++
				}
			}
		}
		t.Logf("prefer %v: the tile kept %d pictures in 10 s, %d of them the sub's", prefer, kept, shared)
		if kept < 149 || kept > 151 {
			t.Errorf("prefer %v: the tile kept %d pictures in 10 s, want 150", prefer, kept)
		}
		if want := map[bool]int{false: 50, true: 100}[prefer]; shared != want {
			t.Errorf("prefer %v: %d pictures shared with the sub in 10 s, want %d", prefer, shared, want)
		}
	}
}
