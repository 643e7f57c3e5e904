package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/camgate/camgate/rtsp"
)

// How a camera is reconnected.
//
// A camera that is back must be picked up within a second, however often it
// failed before: its owner is watching exactly then (a power glitch, a switch
// restarting, a flaky Wi-Fi camera). A camera that is really gone must not be
// hammered with RTSP handshakes. Both hold because the two are told apart
// cheaply: after a session fails, one TCP connect to the camera's port says
// whether anything listens there.
//
//   - A session that delivered video resets everything: the camera worked,
//     its next failure is a new story. The next session starts at once, but
//     no sooner than sessionSpacing (or twice backoff.min, if less) after
//     the previous one started, so a
//     camera that comes back and dies again within seconds, over and over,
//     is retried at that steady pace rather than at an ever longer one.
//   - The port does not accept connections (refused, unreachable, no
//     answer): the camera is away. Full handshakes follow the configured
//     backoff (0.5 s doubling to 30 s by default), and meanwhile the port is
//     probed every probeInterval; the moment it accepts a connection again,
//     a full attempt starts. A probe costs the camera a SYN, or a connection
//     accepted and closed, and it runs only while the port is closed.
//   - The port accepts connections but RTSP fails (401, 404, 503, a stream
//     that does not decode): the camera answers and refuses. Right after its
//     port opened again it is likely still booting (many cameras open their
//     port a second or more before their RTSP server is ready, and answer
//     503 or close the connection until then): for bootWindow it is retried
//     every bootRetry, so it is picked up about a second after it is ready.
//     Otherwise (wrong password, wrong path, a broken stream) it gets the
//     configured backoff: it will not fix itself in a hurry.
const (
	sessionSpacing = time.Second
	probeInterval  = 200 * time.Millisecond
	// probeTimeout bounds one probe. A camera on a LAN answers a SYN in
	// milliseconds; a host that is gone answers nothing, and then probes run
	// one after the other, never two at once.
	probeTimeout = 500 * time.Millisecond
	bootRetry    = time.Second
	bootWindow   = 15 * time.Second
)

// outcome is what a session's end says about the camera.
type outcome int

const (
	outcomeReady   outcome = iota // the session delivered video
	outcomeAway                   // it failed before video, and the port is closed
	outcomeRefused                // it failed before video, though the port is open
)

// retryPlan is what to do after a session: wait, probing the port if watch,
// then try again. why tells the operator; it is logged when it changes.
type retryPlan struct {
	wait  time.Duration
	watch bool
	why   string
}

// retryPolicy decides the retry plans of one camera (see above).
type retryPolicy struct {
	backoff      Backoff
	away         int       // failures in a row with the port closed
	refused      int       // failures in a row with the port open
	portOpenedAt time.Time // when a probe last saw the port open again
}

func (p *retryPolicy) next(o outcome, started, now time.Time) retryPlan {
	switch o {
	case outcomeReady:
		p.away, p.refused = 0, 0
		// The pace follows backoff.min (0.5 s by default: one session a
		// second), so an operator who wants faster or gentler retries of a
		// flapping camera sets that one value.
		spacing := min(sessionSpacing, 2*p.backoff.Min)
		return retryPlan{wait: max(0, spacing-now.Sub(started)), why: "reconnecting"}
	case outcomeAway:
		p.refused = 0
		d := p.backoff.Delay(p.away)
		p.away++
		return retryPlan{wait: d, watch: true, why: "camera unreachable: retrying with backoff, probing its port every 200ms"}
	}
	p.away = 0
	if !p.portOpenedAt.IsZero() && now.Sub(p.portOpenedAt) < bootWindow {
		return retryPlan{wait: bootRetry, why: "camera's port is open again but its RTSP fails (still booting?): retrying every second"}
	}
	d := p.backoff.Delay(p.refused)
	p.refused++
	return retryPlan{wait: d, why: "camera answers but the session fails: retrying with backoff"}
}

// supervise runs sessions until the camera stops.
func (f *feed) supervise() {
	defer f.c.wg.Done()
	policy := retryPolicy{backoff: f.c.cfg.Backoff}
	h := (*sourceHandler)(f)
	lastLog := ""
	for {
		started := time.Now()
		err, ready := f.runSession(h)
		if f.c.ctx.Err() != nil {
			return
		}
		state := StateFailed
		if errors.Is(err, rtsp.ErrStalled) {
			state = StateStalled
		}
		f.setState(state, err)

		o := outcomeReady
		if !ready {
			o = outcomeRefused
			if !f.src.Probe(f.c.ctx, probeTimeout) {
				o = outcomeAway
			}
		}
		plan := policy.next(o, started, time.Now())
		// One line per change of what is happening, not one per attempt of
		// a camera that stays away.
		ev := f.log.Warn()
		if msg := plan.why + ": " + err.Error(); msg != lastLog || ready {
			lastLog = msg
		} else {
			ev = f.log.Debug()
		}
		ev.Err(err).Dur("retry_in", plan.wait).Bool("probing", plan.watch).Msg("session ended: " + plan.why)

		f.setState(StateBackoff, nil)
		reopened, ok := f.waitRetry(plan)
		if !ok {
			return
		}
		if reopened {
			policy.portOpenedAt = time.Now()
			lastLog = ""
			f.log.Info().Msg("camera's port is open again: connecting")
		}
	}
}

// runSession runs one session of the source. It returns why the session
// ended (a failure the decoder found, if it ended it) and whether it
// delivered video.
func (f *feed) runSession(h *sourceHandler) (err error, ready bool) {
	ctx, cancel := context.WithCancelCause(f.c.ctx)
	defer cancel(nil)
	f.c.mu.Lock()
	f.readyAt = time.Time{}
	f.endSession = cancel
	f.c.mu.Unlock()
	f.setState(StateConnecting, nil)

	err = f.src.Run(ctx, h)
	f.c.feedEnded(f) // sources.go

	f.c.mu.Lock()
	f.live, f.endSession = nil, nil
	ready = !f.readyAt.IsZero()
	f.reconnects++
	f.c.mu.Unlock()
	if f.c.ctx.Err() == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err == nil {
		err = errors.New("session ended") // Run always says why; never leave the error empty
	}
	return err, ready
}

// waitRetry waits as plan says. It tells whether a probe found the port open
// again (then it returns at once), and false for ok when the camera stops.
func (f *feed) waitRetry(plan retryPlan) (reopened, ok bool) {
	deadline := time.NewTimer(plan.wait)
	defer deadline.Stop()
	var tick <-chan time.Time
	if plan.watch {
		t := time.NewTicker(probeInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-f.c.ctx.Done():
			return false, false
		case <-deadline.C:
			return false, true
		case <-tick:
			if f.src.Probe(f.c.ctx, probeTimeout) {
				return true, f.c.ctx.Err() == nil
			}
		}
	}
}

// endCurrentSession ends the session s with err, if s is still the camera's
// current session: the decoder's verdict on a stream that does not decode.
func (f *feed) endCurrentSession(s *session, err error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if f.live == s && f.endSession != nil {
		f.endSession(err)
	}
}

// markReady makes the camera ready, if s is still its current session: video
// of that session decoded (or, with no decoding needed, parsed).
func (f *feed) markReady(s *session) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if f.live == s {
		f.setStateLocked(StateReady, nil)
	}
}
