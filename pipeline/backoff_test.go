package pipeline

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	d := Backoff{Min: 500 * time.Millisecond, Max: 30 * time.Second}
	for i := 0; i < 100; i++ {
		if v := d.Delay(0); v < 500*time.Millisecond || v > time.Second {
			t.Fatalf("first retry after %v, want 0.5–1 s", v)
		}
		if v := d.Delay(20); v != 30*time.Second {
			t.Fatalf("retry 20 after %v, want the 30 s cap", v)
		}
		if v := d.Delay(3); v < 4*time.Second || v > 8*time.Second {
			t.Fatalf("retry 3 after %v, want 4–8 s", v)
		}
	}
}

// TestBackoffHugeValues: durations near the int64 limit (292 years) neither
// overflow into a negative wait nor panic in the jitter.
func TestBackoffHugeValues(t *testing.T) {
	const huge = time.Duration(1<<63 - 1)
	for _, b := range []Backoff{
		{Min: huge, Max: huge},
		{Min: huge / 2, Max: huge},
		{Min: time.Second, Max: huge},
		{Min: 0, Max: time.Second},
		{Min: -time.Second, Max: time.Second},
	} {
		for _, n := range []int{-1, 0, 1, 2, 40, 100, 1 << 30} {
			d := b.Delay(n)
			if d < 0 || d > max(b.Max, 0) {
				t.Errorf("%+v: Delay(%d) = %v, want within [0, %v]", b, n, d, b.Max)
			}
		}
	}
}

func TestBackoffValidate(t *testing.T) {
	for _, b := range []Backoff{
		{Min: 500 * time.Millisecond, Max: 30 * time.Second},
		{Min: 10 * time.Millisecond, Max: time.Hour},
	} {
		if err := b.Validate(); err != nil {
			t.Errorf("%+v: %v", b, err)
		}
	}
	for _, b := range []Backoff{
		{Min: 0, Max: time.Second},
		{Min: time.Millisecond, Max: time.Second},
		{Min: 2 * time.Minute, Max: time.Hour},
		{Min: time.Second, Max: 2 * time.Hour},
		{Min: 2 * time.Second, Max: time.Second},
		{Min: time.Duration(1<<63 - 1), Max: time.Duration(1<<63 - 1)},
	} {
		if err := b.Validate(); err == nil {
			t.Errorf("%+v accepted", b)
		}
	}
}
