package pipeline

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Backoff spaces reconnection attempts: the first retry comes after Min to
// 2×Min, each further one doubles, with jitter so that cameras that failed
// together (a switch rebooting) do not retry in lockstep, up to Max.
type Backoff struct {
	Min, Max time.Duration
}

// The bounds Validate accepts. Below 10 ms a failing camera would be
// hammered; above an hour a camera that is back would go unwatched for
// longer than anyone would want (and durations near the int64 limit would
// overflow).
const (
	backoffMinFloor = 10 * time.Millisecond
	backoffMinCeil  = time.Minute
	backoffMaxCeil  = time.Hour
)

// Validate reports a backoff whose durations are out of bounds.
func (b Backoff) Validate() error {
	if b.Min < backoffMinFloor || b.Min > backoffMinCeil {
		return fmt.Errorf("backoff.min %v: must be between %v and %v", b.Min, backoffMinFloor, backoffMinCeil)
	}
	if b.Max < b.Min || b.Max > backoffMaxCeil {
		return fmt.Errorf("backoff.max %v: must be between backoff.min (%v) and %v", b.Max, b.Min, backoffMaxCeil)
	}
	return nil
}

// Delay returns the wait before attempt n (0 for the first retry), within
// [0, Max] whatever the values: doubling stops before it could overflow.
func (b Backoff) Delay(n int) time.Duration {
	if b.Max <= 0 {
		return 0
	}
	d := max(b.Min, 0)
	for i := 0; i < n && d < b.Max; i++ {
		if d > b.Max/2 {
			d = b.Max
			break
		}
		d *= 2
	}
	if d >= b.Max {
		return b.Max
	}
	// d < Max ≤ MaxInt64, so d+1 does not overflow; the jitter takes d to
	// [d, 2d], capped at Max without computing 2d.
	jitter := time.Duration(rand.Int64N(int64(d) + 1))
	if jitter >= b.Max-d {
		return b.Max
	}
	return d + jitter
}
