package pipeline

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/rtsp"
)

// A bug in one camera's or grid's Go code must cost that camera or grid a
// restart, not the whole process: every goroutine they start runs under
// guard, which recovers a panic, logs it with its stack, counts it, stops
// what is left of the camera or grid, and asks the gateway to start it
// again. (A crash inside libav cannot be recovered in-process: the service
// manager restarts camgate, see README, "Reliability".)
//
// A camera or grid that cannot start at all (an encoder that refuses its
// settings, a path already published) is kept in the failed state with its
// error, and tried again later: a configuration that was valid when it was
// saved never stops the next start.

// Restart delays: after a panic, 1 s doubling with each panic of the same
// camera or grid up to maxRestartDelay; after a failed start, startRetry.
const maxRestartDelay = 30 * time.Second

var startRetry = 30 * time.Second // a variable for tests

// restart is a camera or grid the gateway is to start again. Exactly one of
// cam and grid is set: the object that failed, so that a restart of a camera
// or grid replaced meanwhile is skipped.
type restart struct {
	cam   *Camera
	grid  *Grid
	delay time.Duration
}

// restartQueue is how a guarded goroutine reaches its gateway; it travels in
// the context the gateway gives its cameras and grids.
type restartQueue chan<- restart

type restartKey struct{}

// testHookGoroutine, when set (by tests only), runs at the start of every
// guarded goroutine, with the camera's or grid's context: a test makes it
// panic to check the recovery.
var testHookGoroutine atomic.Pointer[func(ctx context.Context, kind, name, goroutine string)]

// ask queues a restart without ever blocking the failing goroutine.
func askRestart(ctx context.Context, r restart) bool {
	q, _ := ctx.Value(restartKey{}).(restartQueue)
	if q == nil {
		return false
	}
	select {
	case q <- r:
		return true
	default:
		return false
	}
}

// guard runs one of the camera's goroutines, recovering a panic.
func (c *Camera) guard(goroutine string, fn func()) {
	started := false
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if !started {
			c.wg.Done() // fn's own deferred Done never ran
		}
		c.crashed(goroutine, v)
	}()
	if h := testHookGoroutine.Load(); h != nil {
		(*h)(c.ctx, "camera", c.cfg.Name, goroutine)
	}
	started = true
	fn()
}

// recoverCallback recovers a panic in a callback the camera's source calls
// from its own goroutines (OnUnit): deferred, it costs a few nanoseconds
// and no allocation.
func (c *Camera) recoverCallback(where string) {
	if v := recover(); v != nil {
		c.crashed(where, v)
	}
}

// crashed stops what is left of the camera after a panic and asks for a
// restart; the first panic of a camera is logged, with its stack.
func (c *Camera) crashed(where string, v any) {
	if c.ctx.Err() != nil {
		return // stopping already: a callback panicking again, or a stop
	}
	stack := debug.Stack()
	c.cancel() // the camera's other goroutines end
	err := fmt.Errorf("internal error in %s: %v (the camera restarts; please report this with the log)", where, v)
	c.setState(StateFailed, err)
	c.log.Error().Str("goroutine", where).Str("panic", fmt.Sprint(v)).Str("stack", string(stack)).Msg("camera panicked: restarting it")
	if !askRestart(c.ctx, restart{cam: c}) {
		c.log.Error().Msg("camera panicked and cannot be restarted: it stays failed")
	}
}

// guard runs the grid's compositor, recovering a panic.
func (g *Grid) guard(fn func()) {
	started := false
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if !started {
			g.wg.Done() // fn's own deferred Done never ran
		}
		stack := debug.Stack()
		g.cancel()
		g.setFailed(fmt.Errorf("internal error in the compositor: %v (the grid restarts; please report this with the log)", v))
		g.log.Error().Str("panic", fmt.Sprint(v)).Str("stack", string(stack)).Msg("grid panicked: restarting it")
		if !askRestart(g.ctx, restart{grid: g}) {
			g.log.Error().Msg("grid panicked and cannot be restarted: it stays failed")
		}
	}()
	if h := testHookGoroutine.Load(); h != nil {
		(*h)(g.ctx, "grid", g.cfg.Name, "compose")
	}
	started = true
	fn()
}

// restarter starts again the cameras and grids that panicked or could not
// start, each after its delay, until the gateway closes.
func (g *Gateway) restarter(queue <-chan restart) {
	defer g.wg.Done()
	for {
		select {
		case <-g.ctx.Done():
			return
		case r := <-queue:
			g.wg.Add(1) // this goroutine holds the group open: no race with Close's Wait
			go g.restartAfter(r)
		}
	}
}

// restartAfter waits r's delay, then replaces the failed camera or grid with
// a new one of the same configuration, unless it was removed or replaced
// meanwhile.
func (g *Gateway) restartAfter(r restart) {
	defer g.wg.Done()
	delay := r.delay
	if delay == 0 {
		// A panic: 1 s, doubling with each panic of the same name.
		n := g.countPanic(r)
		delay = min(maxRestartDelay, time.Second<<min(n-1, 5))
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-g.ctx.Done():
		return
	case <-t.C:
	}
	g.applyMu.Lock() // not in the middle of an Apply
	defer g.applyMu.Unlock()
	g.mu.Lock()
	var current bool
	switch {
	case r.cam != nil:
		current = g.cams != nil && g.cams[r.cam.Name()] == r.cam
	case r.grid != nil:
		current = g.grids != nil && g.grids[r.grid.Name()] != nil && g.grids[r.grid.Name()].grid == r.grid
	}
	g.mu.Unlock()
	if !current {
		return
	}
	if r.cam != nil {
		name := r.cam.Name()
		g.RemoveCamera(name)
		if err := g.AddCamera(r.cam.Config()); err == nil {
			g.log.Info().Str("camera", name).Msg("camera started again")
		}
		return
	}
	name := r.grid.Name()
	g.RemoveGrid(name)
	if err := g.AddGrid(r.grid.Config()); err == nil {
		g.log.Info().Str("grid", name).Msg("grid started again")
	}
}

// countPanic counts a panic of r's camera or grid and returns how many it
// had.
func (g *Gateway) countPanic(r restart) uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.cam != nil {
		g.camPanics[r.cam.Name()]++
		return g.camPanics[r.cam.Name()]
	}
	g.gridPanics[r.grid.Name()]++
	return g.gridPanics[r.grid.Name()]
}

// Panics returns how many times each camera's and each grid's goroutines
// panicked (and were restarted) since the gateway started.
func (g *Gateway) Panics() (cameras, grids map[string]uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	cameras, grids = map[string]uint64{}, map[string]uint64{}
	for k, v := range g.camPanics {
		cameras[k] = v
	}
	for k, v := range g.gridPanics {
		grids[k] = v
	}
	return cameras, grids
}

// failedCamera is a camera that could not start: it runs nothing, shows the
// failed state and the error, and is replaced when it is tried again. It is
// nil when not even the camera's URL can be used (a configuration that
// validation would refuse).
func failedCamera(ctx context.Context, cfg CameraConfig, err error, log zerolog.Logger) *Camera {
	cfg = cfg.WithDefaults()
	src, serr := rtsp.NewSource(rtsp.SourceConfig{URL: cfg.URL, Transport: cfg.Transport})
	if serr != nil {
		return nil
	}
	now := time.Now()
	c := &Camera{cfg: cfg, log: log.With().Str("camera", cfg.Name).Logger()}
	c.feed.init(c, "main", src, c.log, 1)
	c.state, c.since, c.lastErr, c.lastErrAt = StateFailed, now, rtsp.RedactText(err.Error()), now
	c.stateNow.Store(int32(StateFailed))
	c.ctx, c.cancel = context.WithCancel(ctx)
	c.cancel() // nothing runs: Stop and Snapshot return at once
	c.log.Error().Str("error", c.lastErr).Dur("retry_in", startRetry).Msg("camera cannot start: it stays failed and is tried again")
	return c
}

// failedGrid is a grid that could not start, like failedCamera.
func failedGrid(ctx context.Context, cfg GridConfig, err error, log zerolog.Logger) *Grid {
	g := &Grid{cfg: cfg.WithDefaults(), log: log.With().Str("grid", cfg.Name).Logger(), snaps: newSnapshotter()}
	g.ctx, g.cancel = context.WithCancel(ctx)
	g.cancel()
	g.setFailed(err)
	g.log.Error().Str("error", g.LastError()).Dur("retry_in", startRetry).Msg("grid cannot start: it stays failed and is tried again")
	return g
}

// setFailed records why the grid does not run.
func (g *Grid) setFailed(err error) {
	s := rtsp.RedactText(err.Error())
	g.failure.Store(&s)
}

// LastError says why the grid does not run, or "".
func (g *Grid) LastError() string {
	if s := g.failure.Load(); s != nil {
		return *s
	}
	return ""
}
