package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/rtsp"
)

// Config is what a Gateway runs.
type Config struct {
	RTSP    rtsp.ServerConfig
	Cameras []CameraConfig
}

// Gateway owns the RTSP server and the cameras.
type Gateway struct {
	srv    *rtsp.Server
	log    zerolog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	mu   sync.Mutex
	cams map[string]*Camera
}

// StartGateway starts the server and every camera. If any camera cannot
// start, nothing is left running and the error names every problem.
func StartGateway(cfg Config, log zerolog.Logger) (*Gateway, error) {
	seen := map[string]bool{}
	var errs []error
	for _, c := range cfg.Cameras {
		if seen[c.Name] {
			errs = append(errs, fmt.Errorf("camera %s: defined twice", c.Name))
		}
		seen[c.Name] = true
		if err := c.WithDefaults().Validate(); err != nil {
			errs = append(errs, fmt.Errorf("camera %s: %w", c.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	srv, err := rtsp.NewServer(cfg.RTSP)
	if err != nil {
		return nil, err
	}
	g := &Gateway{srv: srv, log: log, cams: map[string]*Camera{}}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	for _, c := range cfg.Cameras {
		if err := g.AddCamera(c); err != nil {
			g.Close()
			return nil, err
		}
	}
	log.Info().Str("rtsp", srv.Addr().String()).Int("cameras", len(cfg.Cameras)).Msg("gateway started")
	return g, nil
}

// Server returns the RTSP server.
func (g *Gateway) Server() *rtsp.Server { return g.srv }

// AddCamera starts a camera.
func (g *Gateway) AddCamera(cfg CameraConfig) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cams == nil {
		return errors.New("gateway is closed")
	}
	if _, dup := g.cams[cfg.Name]; dup {
		return fmt.Errorf("camera %s: already exists", cfg.Name)
	}
	c, err := StartCamera(g.ctx, cfg, g.srv, g.log)
	if err != nil {
		return err
	}
	g.cams[cfg.Name] = c
	return nil
}

// RemoveCamera stops a camera and unpublishes its streams.
func (g *Gateway) RemoveCamera(name string) error {
	g.mu.Lock()
	c, ok := g.cams[name]
	delete(g.cams, name)
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
	cams := g.cams
	g.cams = nil
	g.mu.Unlock()
	g.cancel()
	var wg sync.WaitGroup
	for _, c := range cams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Stop()
		}()
	}
	wg.Wait()
	return g.srv.Close()
}
