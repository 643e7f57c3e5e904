package pipeline

import "time"

// FrameRateGate keeps one picture per interval of presentation time: how an
// output of a lower frame rate than its camera picks its pictures. The zero
// value keeps everything; make one with NewFrameRateGate.
type FrameRateGate struct {
	interval time.Duration
	next     time.Duration
	started  bool
}

// NewFrameRateGate returns a gate that keeps fps pictures a second.
func NewFrameRateGate(fps int) FrameRateGate {
	return FrameRateGate{interval: time.Second / time.Duration(fps)}
}

// Accept reports whether the picture at pts is kept.
func (g *FrameRateGate) Accept(pts time.Duration) bool { return g.accept(pts, 0) }

// AcceptPreferred is Accept for a picture that is cheaper to keep than its
// neighbours (a grid tile's, when the camera's sub stream has just scaled
// it): it is kept up to half an interval before its time. The rate stays
// the same, since the next picture is due an interval after this one was.
func (g *FrameRateGate) AcceptPreferred(pts time.Duration) bool {
	return g.accept(pts, g.interval/2)
}

func (g *FrameRateGate) accept(pts, early time.Duration) bool {
	switch {
	case !g.started || pts < g.next-2*g.interval || pts > g.next+2*g.interval:
		// First picture, or a jump in time: start again from this picture.
		g.next, g.started = pts+g.interval, true
		return true
	case pts >= g.next-early:
		g.next += g.interval
		return true
	}
	return false
}

// frameGrid stamps an output's pictures on the grid of its frame rate: each
// picture at a multiple of 1/fps, the nearest to its own time, and always
// after the previous one. A sub stream cut from 25 to 10 fps keeps pictures
// 80 and 120 ms apart, and a grid composes on a ticker that a busy machine
// delays; players and muxers that time a 10 fps stream in tenths of a second
// would give two such pictures the same time (Debian's ffmpeg: "non
// monotonically increasing dts"). On the grid, readers see the output's
// frame rate exactly, and real time is kept: a gap stays a gap.
type frameGrid struct {
	step    time.Duration
	last    time.Duration
	started bool
}

func newFrameGrid(fps int) frameGrid { return frameGrid{step: time.Second / time.Duration(fps)} }

// stamp returns the time on the grid for a picture at pts.
func (g *frameGrid) stamp(pts time.Duration) time.Duration {
	t := (pts + g.step/2) / g.step * g.step
	if g.started && t <= g.last {
		t = g.last + g.step
	}
	g.last, g.started = t, true
	return t
}
