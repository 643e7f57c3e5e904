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
func (g *FrameRateGate) Accept(pts time.Duration) bool {
	switch {
	case !g.started || pts < g.next-2*g.interval || pts > g.next+2*g.interval:
		// First picture, or a jump in time: start again from this picture.
		g.next, g.started = pts+g.interval, true
		return true
	case pts >= g.next:
		g.next += g.interval
		return true
	}
	return false
}
