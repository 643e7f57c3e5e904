package codec

import (
	"math"
	"testing"
	"time"
)

func TestClockRoundTripsForYears(t *testing.T) {
	day := 24 * time.Hour
	for _, rate := range []int{VideoClockRate, 48000, 8000} {
		for _, at := range []time.Duration{0, time.Second, day, 30 * time.Hour, 102481 * time.Second, 365 * day, 10 * 365 * day} {
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

// stamps of a day, a year and ten years of stream time, and of the 28.5-hour
// mark where pts*90000 in int64 nanoseconds overflows.
var longTimes = []time.Duration{
	time.Duration(math.MaxInt64/VideoClockRate) - time.Second, 30 * time.Hour,
	365 * 24 * time.Hour, 10 * 365 * 24 * time.Hour,
}

// TestTicksStepEvenlyForYears: pictures one frame apart stay exactly one
// frame of ticks apart, across the 28.5-hour mark, at a year and ten years.
func TestTicksStepEvenlyForYears(t *testing.T) {
	for _, at := range longTimes {
		frame := 40 * time.Millisecond
		prev := Ticks(at, VideoClockRate)
		if prev <= 0 {
			t.Fatalf("Ticks(%v) = %d", at, prev)
		}
		for i := 1; i <= 100; i++ { // 4 s: across the mark for the first
			got := Ticks(at+time.Duration(i)*frame, VideoClockRate)
			if got-prev != 3600 {
				t.Fatalf("at %v + %d frames: %d ticks after the previous, want 3600", at, i, got-prev)
			}
			prev = got
		}
	}
}

// TestRTPTimestampWraps: RTP time wraps modulo 2^32 and only that: from any
// base, a frame later is 3600 ticks later in uint32 arithmetic (which is
// how readers unwrap it), at every stream time, across the wrap itself.
func TestRTPTimestampWraps(t *testing.T) {
	frame := 40 * time.Millisecond
	for _, at := range longTimes {
		for _, base := range []uint32{0, 1<<32 - 1800, 1 << 31, 12345} {
			// A base that puts the wrap in the middle of these 100 frames.
			wrapping := uint32(-Ticks(at+2*time.Second, VideoClockRate))
			for _, b := range []uint32{base, wrapping} {
				prev := RTPTimestamp(b, at, VideoClockRate)
				wrapped := false
				for i := 1; i <= 100; i++ {
					ts := RTPTimestamp(b, at+time.Duration(i)*frame, VideoClockRate)
					if ts-prev != 3600 {
						t.Fatalf("at %v base %d frame %d: ts %d after %d", at, b, i, ts, prev)
					}
					wrapped = wrapped || ts < prev
					prev = ts
				}
				if b == wrapping && !wrapped {
					t.Fatalf("at %v: base %d did not wrap", at, b)
				}
			}
		}
	}
}
