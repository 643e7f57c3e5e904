package pipeline

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/stream"
)

// Camera is one camera's goroutine tree:
//
//   - each feed (the camera's main stream, and the low-resolution stream it
//     serves besides, if configured: feed.go) has a supervisor that runs
//     sessions of its rtsp.Source one after another, with backoff between
//     failures; the source's reading goroutines relay the main stream's
//     units to the hub's <camera>/main and queue access units for decoding;
//   - the decoder goroutine decodes each queued access unit once and hands
//     the picture to the outputs, tiles and snapshots it feeds (sources.go
//     says which feed feeds what);
//   - the meter goroutine samples counters once a second for the rates.
//
// Stop cancels the tree and returns when all of it is gone.
type Camera struct {
	feed // the main stream: the camera's state is its state

	cfg  CameraConfig
	log  zerolog.Logger
	main *stream.Stream // passthrough main, or nil
	low  *feed          // the camera's own low-resolution stream, or nil
	outs []*output
	sub  *output // the sub stream among outs, or nil

	// subRelay: <camera>/sub is the camera's own sub stream, passed through
	// (sources.go).
	subRelay atomic.Bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu sync.Mutex // guards the feeds' states, outs and sinks changes

	sinks atomic.Pointer[[]*tileSink] // grid tiles fed from this camera's pictures

	startedAt int64 // UnixNano
}

// StartCamera publishes the camera's paths on srv and starts its goroutines.
// The camera runs until Stop or until ctx ends.
func StartCamera(ctx context.Context, cfg CameraConfig, hub *stream.Hub, log zerolog.Logger) (*Camera, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("camera %s: %w", cfg.Name, err)
	}
	src, err := newSource(cfg, cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("camera %s: %w", cfg.Name, err)
	}
	c := &Camera{cfg: cfg, log: log.With().Str("camera", cfg.Name).Logger(), startedAt: time.Now().UnixNano()}
	c.feed.init(c, "main", src, c.log, cfg.QueueSize)
	if cfg.SubURL != "" {
		lsrc, err := newSource(cfg, cfg.SubURL)
		if err != nil {
			return nil, fmt.Errorf("camera %s: sub_url: %w", cfg.Name, err)
		}
		c.low = &feed{}
		c.low.init(c, "sub_stream", lsrc, c.log.With().Str("stream", "sub_url").Logger(), cfg.QueueSize)
	}
	fail := func(err error) (*Camera, error) {
		c.closeOutputs()
		return nil, fmt.Errorf("camera %s: %w", cfg.Name, err)
	}
	if cfg.Main.Transcode {
		o := cfg.Main.Output
		o.Enabled = true
		out, err := newOutput(hub, cfg.Name+"/main", "main", o)
		if err != nil {
			return fail(fmt.Errorf("main: %w", err))
		}
		c.outs = append(c.outs, out)
	} else {
		if c.main, err = hub.Publish(cfg.Name+"/main", stream.PublishOptions{}); err != nil {
			return fail(err)
		}
		c.feed.relay = c.main
	}
	if cfg.Sub.Enabled {
		out, err := newOutput(hub, cfg.Name+"/sub", "sub", cfg.Sub)
		if err != nil {
			return fail(fmt.Errorf("sub: %w", err))
		}
		c.outs = append(c.outs, out)
		c.sub = out
	}

	c.ctx, c.cancel = context.WithCancel(ctx)
	c.wg.Add(3)
	go c.guard("supervise", c.feed.supervise) // guard: restart.go
	go c.guard("decode", c.decode)
	go c.guard("meters", c.sampleMeters)
	ev := c.log.Info().Str("url", src.URL()).Str("transport", cfg.Transport.String())
	if c.low != nil {
		c.wg.Add(1)
		go c.guard("supervise sub_url", c.low.supervise)
		ev = ev.Str("sub_url", c.low.src.URL())
	}
	ev.Msg("camera started")
	return c, nil
}

// Name returns the camera's name.
func (c *Camera) Name() string { return c.cfg.Name }

// Config returns the camera's configuration, defaults filled in.
func (c *Camera) Config() CameraConfig { return c.cfg }

// Stop ends the camera: its session, its goroutines, its streams and its
// libav objects, before it returns. It is safe to call more than once.
func (c *Camera) Stop() error {
	c.cancel()
	c.wg.Wait()
	c.closeOutputs()
	c.setState(StateStopped, nil)
	if c.low != nil {
		c.low.setState(StateStopped, nil)
	}
	return nil
}

func (c *Camera) closeOutputs() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.main != nil {
		c.main.Close()
		c.main = nil
	}
	for _, o := range c.outs {
		o.Close()
	}
	c.outs = nil
}

// addSink makes the camera feed a grid tile.
func (c *Camera) addSink(t *tileSink) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var next []*tileSink
	if cur := c.sinks.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, t)
	c.sinks.Store(&next)
}

// removeSink stops feeding a grid tile. The decoder goroutine frees the
// sink's scaler when it sees the new list.
func (c *Camera) removeSink(t *tileSink) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.sinks.Load()
	if cur == nil {
		return
	}
	next := make([]*tileSink, 0, len(*cur))
	for _, s := range *cur {
		if s != t {
			next = append(next, s)
		}
	}
	c.sinks.Store(&next)
}

// sampleMeters samples the counters once a second for the rates.
func (c *Camera) sampleMeters() {
	defer c.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		c.feed.sampleMeters()
		if c.low != nil {
			c.low.sampleMeters()
		}
		for _, o := range c.outs {
			o.sample()
		}
	}
}

// sampleMeters feeds the feed's rate meters; the camera's meter goroutine
// calls it once a second.
func (f *feed) sampleMeters() {
	s := f.src.Stats()
	f.inBytes.sample(s.BytesIn)
	f.inFrames.sample(s.AccessUnits)
}

// newSource makes the source of one of the camera's streams.
func newSource(cfg CameraConfig, url string) (*rtsp.Source, error) {
	return rtsp.NewSource(rtsp.SourceConfig{
		URL: url, Transport: cfg.Transport,
		ConnectTimeout: cfg.ConnectTimeout, ReadTimeout: cfg.ReadTimeout, StallTimeout: cfg.StallTimeout,
	})
}

// otherFeed returns the camera's feed that is not f, or nil.
func (c *Camera) otherFeed(f *feed) *feed {
	if f == &c.feed {
		return c.low
	}
	return &c.feed
}
