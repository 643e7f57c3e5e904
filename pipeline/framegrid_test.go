package pipeline

import (
	"testing"
	"time"
)

func TestFrameGrid(t *testing.T) {
	ms := time.Millisecond
	g := newFrameGrid(10)
	// A 25 fps camera cut to 10 fps: pictures 120 and 80 ms apart.
	for i, c := range []struct{ in, want time.Duration }{
		{0, 0}, {120 * ms, 100 * ms}, {200 * ms, 200 * ms}, {320 * ms, 300 * ms}, {400 * ms, 400 * ms},
		// Two pictures that round to one slot (a late tick, then an on-time
		// one): the second takes the next slot.
		{4150 * ms, 4200 * ms}, {4240 * ms, 4300 * ms},
		// A camera outage keeps its length.
		{14240 * ms, 14200 * ms},
	} {
		if got := g.stamp(c.in); got != c.want {
			t.Fatalf("picture %d at %v: stamped %v, want %v", i, c.in, got, c.want)
		}
	}
	// Ten years in, the grid is still exact and increasing.
	year := 365 * 24 * time.Hour
	g = newFrameGrid(15)
	prev := time.Duration(-1)
	for i := 0; i < 100; i++ {
		got := g.stamp(10*year + time.Duration(i)*66*ms)
		if got <= prev || got%(time.Second/15) != 0 {
			t.Fatalf("picture %d: %v after %v, want a later multiple of 1/15 s", i, got, prev)
		}
		prev = got
	}
}
