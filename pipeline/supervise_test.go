package pipeline

import (
	"testing"
	"time"
)

// TestRetryPolicy: the decisions of the reconnection policy, without a
// network (the cameras' tests run it for real).
func TestRetryPolicy(t *testing.T) {
	b := Backoff{Min: 500 * time.Millisecond, Max: 30 * time.Second}
	p := retryPolicy{backoff: b}
	now := time.Now()

	// A camera that is away: handshakes back off, the port is watched.
	for i := range 12 {
		plan := p.next(outcomeAway, now, now)
		if !plan.watch {
			t.Fatalf("away %d: port not probed", i)
		}
		if i == 11 && plan.wait != b.Max {
			t.Errorf("away %d: wait %v, want the %v cap", i, plan.wait, b.Max)
		}
	}
	// It came back and delivered video: everything starts over, and a
	// session that lasted long is followed by the next at once.
	if plan := p.next(outcomeReady, now.Add(-time.Minute), now); plan.wait != 0 || plan.watch {
		t.Errorf("after a long session: %+v, want to reconnect at once", plan)
	}
	if plan := p.next(outcomeAway, now, now); plan.wait < b.Min || plan.wait > 2*b.Min {
		t.Errorf("away after video: wait %v, want the backoff's first step", plan.wait)
	}
	// Flapping: whatever the number of short sessions, a steady pace.
	for i := range 100 {
		started := now.Add(-300 * time.Millisecond)
		if plan := p.next(outcomeReady, started, now); plan.wait != sessionSpacing-300*time.Millisecond {
			t.Fatalf("flap %d: wait %v, want the rest of %v", i, plan.wait, sessionSpacing)
		}
		p.next(outcomeAway, now, now)
	}
	// The port opened again but RTSP fails: booting, retried every second.
	p.portOpenedAt = now
	for i := range 10 {
		at := now.Add(time.Duration(i) * time.Second)
		if plan := p.next(outcomeRefused, at, at); plan.wait != bootRetry || plan.watch {
			t.Fatalf("booting %d: %+v, want a retry every %v", i, plan, bootRetry)
		}
	}
	// Long after: the camera answers and refuses (a wrong password): backoff.
	later := now.Add(bootWindow + time.Second)
	for i := range 12 {
		plan := p.next(outcomeRefused, later, later)
		if i == 0 && plan.wait > 2*b.Min {
			t.Errorf("refused %d: wait %v", i, plan.wait)
		}
		if i == 11 && plan.wait != b.Max {
			t.Errorf("refused %d: wait %v, want the %v cap", i, plan.wait, b.Max)
		}
	}
}

// A small backoff.min quickens the pace of a flapping camera's sessions
// (twice backoff.min), and a large one never slows it beyond sessionSpacing.
func TestSessionSpacingFollowsBackoffMin(t *testing.T) {
	now := time.Now()
	for _, c := range []struct{ min, want time.Duration }{
		{10 * time.Millisecond, 20 * time.Millisecond},
		{200 * time.Millisecond, 400 * time.Millisecond},
		{5 * time.Second, sessionSpacing},
	} {
		p := retryPolicy{backoff: Backoff{Min: c.min, Max: time.Minute}}
		if plan := p.next(outcomeReady, now, now); plan.wait != c.want {
			t.Errorf("backoff.min %v: a session that just started is followed after %v, want %v", c.min, plan.wait, c.want)
		}
	}
}
