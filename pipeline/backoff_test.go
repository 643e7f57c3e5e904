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
