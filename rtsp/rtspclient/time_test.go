package rtspclient

import (
	"math"
	"testing"
	"time"
)

func TestTicksToDuration(t *testing.T) {
	day := 24 * time.Hour
	for _, d := range []time.Duration{0, 40 * time.Millisecond, day, 365 * day, 3650 * day} {
		ticks := int64(d / time.Second * 90000) // whole seconds: exact
		if got := ticksToDuration(ticks, 90000); got != d.Truncate(time.Second) {
			t.Errorf("%d ticks: %v, want %v", ticks, got, d.Truncate(time.Second))
		}
		if got := ticksToDuration(ticks+1, 90000) - ticksToDuration(ticks, 90000); got != 11111*time.Nanosecond {
			t.Errorf("one tick after %v: %v", d, got)
		}
	}
	// Up to the largest whole second a Duration holds (292 years), nothing
	// overflows; ticks*time.Second would from 28 hours on.
	secs := int64(math.MaxInt64/time.Second) - 1
	if got, want := ticksToDuration(secs*90000+89999, 90000), time.Duration(secs)*time.Second+999988888; got != want {
		t.Errorf("%d s and 89999 ticks: %v, want %v", secs, got, want)
	}
}
