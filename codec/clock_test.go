package codec

import (
	"math"
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

// Up to the largest whole second a Duration holds (292 years), Duration
// overflows nowhere; ticks*time.Second would from 28 hours on at 90 kHz.
func TestDurationAtTheEndOfTime(t *testing.T) {
	secs := int64(math.MaxInt64/time.Second) - 1
	if got, want := Duration(secs*VideoClockRate+89999, VideoClockRate), time.Duration(secs)*time.Second+999988888; got != want {
		t.Errorf("%d s and 89999 ticks: %v, want %v", secs, got, want)
	}
	if got := Duration(1, VideoClockRate); got != 11111*time.Nanosecond {
		t.Errorf("one tick: %v, want 11.111µs", got)
	}
}
