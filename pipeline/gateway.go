package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/stream"
	"github.com/camgate/camgate/transcode"
)

// Config is what a Gateway runs.
type Config struct {
	RTSP    rtsp.ServerConfig
	Cameras []CameraConfig
	Grids   []GridConfig

	// Disabled names cameras that are configured but switched off
	// (enabled: false): grids may list them, and show placeholders.
	Disabled []string
}

// Gateway owns the stream hub, the RTSP server that serves it, the cameras
// and the grids.
type Gateway struct {
	hub    *stream.Hub
	srv    *rtsp.Server
	log    zerolog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	wg      sync.WaitGroup // the memory trimmer, the restarter and its restarts
	applyMu sync.Mutex     // one Apply (or restart) at a time
	mu      sync.Mutex
	cams    map[string]*Camera
	grids   map[string]*gridEntry
	rtspCfg rtsp.ServerConfig
	cfg     Config // the configuration last applied, for ApplyAll's rollback

	camPanics, gridPanics map[string]uint64
}

// gridEntry is a running grid and the sink each of its slots has in a camera.
type gridEntry struct {
	grid  *Grid
	sinks []*tileSink // per slot; nil while the slot's camera does not exist
}

// StartGateway starts the server and every camera and grid. An invalid
// configuration, or a server that cannot listen, is an error; a camera or
// grid that cannot start is not: it runs in the failed state with its error
// and is tried again later, so that a configuration that was valid when it
// was saved never stops camgate from starting (which a service manager's
// Restart=always would turn into a crash loop).
func StartGateway(cfg Config, log zerolog.Logger) (*Gateway, error) {
	if err := validateConfig(cfg); err != nil {
		return nil, err
	}
	hub := stream.NewHub()
	srv, err := rtsp.NewServer(cfg.RTSP, hub)
	if err != nil {
		return nil, err
	}
	g := &Gateway{hub: hub, srv: srv, log: log, cams: map[string]*Camera{}, grids: map[string]*gridEntry{}, rtspCfg: cfg.RTSP, cfg: cfg,
		camPanics: map[string]uint64{}, gridPanics: map[string]uint64{}}
	restarts := make(chan restart, 256)
	g.ctx, g.cancel = context.WithCancel(context.WithValue(context.Background(), restartKey{}, restartQueue(restarts)))
	g.wg.Add(2)
	go g.trimMemory()
	go g.restarter(restarts)
	for _, c := range cfg.Cameras {
		g.AddCamera(c) // a failure is logged, and the camera shows it
	}
	for _, gc := range cfg.Grids {
		g.AddGrid(gc)
	}
	log.Info().Str("rtsp", srv.Addr().String()).Int("cameras", len(cfg.Cameras)).Int("grids", len(cfg.Grids)).Msg("gateway started")
	return g, nil
}

// Server returns the RTSP server.
func (g *Gateway) Server() *rtsp.Server { return g.srv }

// Hub returns the stream hub: every published path, for any reader protocol.
func (g *Gateway) Hub() *stream.Hub { return g.hub }

// AddCamera starts a camera. If it cannot start, it is kept in the failed
// state with the error, tried again later, and the error is returned.
func (g *Gateway) AddCamera(cfg CameraConfig) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cams == nil {
		return errors.New("gateway is closed")
	}
	if _, dup := g.cams[cfg.Name]; dup {
		return fmt.Errorf("camera %s: already exists", cfg.Name)
	}
	if err := cfg.WithDefaults().Validate(); err != nil {
		return fmt.Errorf("camera %s: %w", cfg.Name, err) // not worth a retry
	}
	c, err := StartCamera(g.ctx, cfg, g.hub, g.log)
	if err != nil {
		if c = failedCamera(g.ctx, cfg, err, g.log); c == nil {
			return err
		}
		askRestart(g.ctx, restart{cam: c, delay: startRetry})
	}
	g.cams[cfg.Name] = c
	for _, e := range g.grids {
		for i, s := range e.grid.slots {
			if s.name == cfg.Name {
				e.sinks[i] = attachTile(e.grid, s, c)
			}
		}
	}
	return err
}

// attachTile makes camera c feed slot s of grid gr.
func attachTile(gr *Grid, s *tileSlot, c *Camera) *tileSink {
	t := gr.sinkFor(s)
	s.stall.Store(int64(c.cfg.StallTimeout))
	s.cam.Store(c)
	c.addSink(t)
	return t
}

// AddGrid starts a grid. Cameras it names that do not exist (yet) show as
// placeholders until they are added. If the grid cannot start, it is kept
// with the error, tried again later, and the error is returned.
func (g *Gateway) AddGrid(cfg GridConfig) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.grids == nil {
		return errors.New("gateway is closed")
	}
	if _, dup := g.grids[cfg.Name]; dup {
		return fmt.Errorf("grid %s: already exists", cfg.Name)
	}
	if err := cfg.WithDefaults().Validate(); err != nil {
		return fmt.Errorf("grid %s: %w", cfg.Name, err) // not worth a retry
	}
	gr, err := startGrid(g.ctx, cfg, g.hub, g.log)
	if err != nil {
		gr = failedGrid(g.ctx, cfg, err, g.log)
		askRestart(g.ctx, restart{grid: gr, delay: startRetry})
	}
	e := &gridEntry{grid: gr, sinks: make([]*tileSink, len(gr.slots))}
	for i, s := range gr.slots {
		if c := g.cams[s.name]; c != nil {
			e.sinks[i] = attachTile(gr, s, c)
		}
	}
	g.grids[cfg.Name] = e
	return err
}

// RemoveGrid stops a grid and unpublishes its stream.
func (g *Gateway) RemoveGrid(name string) error {
	g.mu.Lock()
	e, ok := g.grids[name]
	delete(g.grids, name)
	if ok {
		g.detachGridLocked(e)
	}
	g.mu.Unlock()
	if !ok {
		return fmt.Errorf("grid %s: no such grid", name)
	}
	e.grid.stop()
	return nil
}

func (g *Gateway) detachGridLocked(e *gridEntry) {
	for i, s := range e.grid.slots {
		if t := e.sinks[i]; t != nil {
			if c := s.cam.Load(); c != nil {
				c.removeSink(t)
			}
			e.sinks[i] = nil
		}
		s.cam.Store(nil)
	}
}

// Grid returns the named grid, or nil.
func (g *Gateway) Grid(name string) *Grid {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e := g.grids[name]; e != nil {
		return e.grid
	}
	return nil
}

// Grids returns the grids sorted by name.
func (g *Gateway) Grids() []*Grid {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*Grid, 0, len(g.grids))
	for _, e := range g.grids {
		out = append(out, e.grid)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// RemoveCamera stops a camera and unpublishes its streams.
func (g *Gateway) RemoveCamera(name string) error {
	g.mu.Lock()
	c, ok := g.cams[name]
	delete(g.cams, name)
	for _, e := range g.grids {
		for i, s := range e.grid.slots {
			if s.cam.Load() == c && c != nil {
				c.removeSink(e.sinks[i])
				e.sinks[i] = nil
				s.cam.Store(nil) // the tile shows the placeholder
			}
		}
	}
	g.mu.Unlock()
	if !ok {
		return fmt.Errorf("camera %s: no such camera", name)
	}
	return c.Stop()
}

// Camera returns the named camera, or nil.
func (g *Gateway) Camera(name string) *Camera {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cams[name]
}

// Cameras returns the cameras sorted by name.
func (g *Gateway) Cameras() []*Camera {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*Camera, 0, len(g.cams))
	for _, c := range g.cams {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// Close stops every camera (in parallel) and then the server.
func (g *Gateway) Close() error {
	g.mu.Lock()
	cams, grids := g.cams, g.grids
	g.cams, g.grids = nil, nil
	for _, e := range grids {
		g.detachGridLocked(e)
	}
	g.mu.Unlock()
	g.cancel()
	var wg sync.WaitGroup
	for _, e := range grids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.grid.stop()
		}()
	}
	for _, c := range cams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Stop()
		}()
	}
	wg.Wait()
	g.wg.Wait()
	g.srv.Close()
	return g.hub.Close()
}

// trimMemory returns freed C memory to the system every 30 s (see
// transcode.ReleaseFreeMemory) until the gateway closes.
func (g *Gateway) trimMemory() {
	defer g.wg.Done()
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-g.ctx.Done():
			return
		case <-t.C:
			transcode.ReleaseFreeMemory()
		}
	}
}
