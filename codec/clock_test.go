package codec

import (
	"testing"
	"time"
)

func TestClockRoundTripsForYears(t *testing.T) {
	day := 24 * time.Hour
	for _, rate := range []int{VideoClockRate, 48000, 8000} {
		for _, at := range []time.Duration{0, time.Second, day, 365 * day, 10 * 365 * day} {
			base := Ticks(at, rate)
			if want := int64(at/time.Second) * int64(rate); base != want {
				t.Fatalf("rate %d: Ticks(%v) = %d, want %d", rate, at, base, want)
			}
			for dt := int64(-3); dt <= 3; dt++ {
				ticks := base + dt
				if got := Ticks(Duration(ticks, rate), rate); got != ticks {
					t.Fatalf("rate %d at %v: Ticks(Duration(%d)) = %d", rate, at, ticks, got)
				}
			}
			if d := Duration(base, rate); d != at {
				t.Fatalf("rate %d: Duration(Ticks(%v)) = %v", rate, at, d)
			}
		}
	}
}

func TestTicksNegative(t *testing.T) {
	if got := Ticks(-time.Second/90000*2-1, VideoClockRate); got != -2 {
		t.Fatalf("Ticks of about -2 ticks = %d", got)
	}
}
