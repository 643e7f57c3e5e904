package pipeline

import (
	"math/rand/v2"
	"time"
)

// Backoff spaces reconnection attempts: the first retry comes after Min to
// 2×Min, each further one doubles, with jitter so that cameras that failed
// together (a switch rebooting) do not retry in lockstep, up to Max.
type Backoff struct {
	Min, Max time.Duration
}

// Delay returns the wait before attempt n (0 for the first retry).
func (b Backoff) Delay(n int) time.Duration {
	d := b.Min
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	d += time.Duration(rand.Int64N(int64(d) + 1)) // jitter: [d, 2d]
	if d > b.Max {
		d = b.Max
	}
	return d
}
