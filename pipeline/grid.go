package pipeline

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/stream"
	"github.com/camgate/camgate/transcode"
)

// Grid is a mosaic of cameras in one H.264 stream at grid/<name>. It opens no
// camera connection and decodes nothing: each camera hands it pictures it
// decodes anyway, already scaled to the tile. The grid composes them on its
// own clock, so it keeps its frame rate whatever its cameras do, and a missing
// camera shows as a placeholder tile.
type Grid struct {
	cfg    GridConfig
	log    zerolog.Logger
	slots  []*tileSlot
	canvas *transcode.Frame
	out    *encodedStream

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	watched   atomic.Bool  // someone plays or snapshots the grid: cameras feed it only then
	snaps     *snapshotter // snapshots keep the tiles fed while wanted
	liveTiles atomic.Int64
	failure   atomic.Pointer[string] // why the grid does not run (restart.go)
}

// startGrid publishes the grid and starts its compositor. Cameras are
// attached by the gateway.
func startGrid(ctx context.Context, cfg GridConfig, hub *stream.Hub, log zerolog.Logger) (*Grid, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("grid %s: %w", cfg.Name, err)
	}
	g := &Grid{cfg: cfg, log: log.With().Str("grid", cfg.Name).Logger(), snaps: newSnapshotter()}
	fail := func(err error) (*Grid, error) {
		g.release()
		return nil, fmt.Errorf("grid %s: %w", cfg.Name, err)
	}
	tw, th := cfg.tileSize()
	for i, name := range cfg.Cameras {
		tile, err := transcode.NewFrame(tw, th)
		if err != nil {
			return fail(err)
		}
		s := &tileSlot{name: name, x: i % cfg.Cols * tw, y: i / cfg.Cols * th, w: tw, h: th, tile: tile}
		s.stall.Store(int64(DefaultStallTimeout))
		g.slots = append(g.slots, s)
	}
	var err error
	if g.canvas, err = transcode.NewFrame(cfg.Output.Width, cfg.Output.Height); err != nil {
		return fail(err)
	}
	if g.out, err = newEncodedStream(hub, "grid/"+cfg.Name, "grid", cfg.Output); err != nil {
		return fail(err)
	}
	g.ctx, g.cancel = context.WithCancel(ctx)
	g.wg.Add(1)
	go g.guard(g.run)
	g.log.Info().Int("cameras", len(cfg.Cameras)).Str("layout", fmt.Sprintf("%dx%d", cfg.Cols, cfg.Rows)).
		Str("size", fmt.Sprintf("%dx%d", cfg.Output.Width, cfg.Output.Height)).Msg("grid started")
	return g, nil
}

// Name returns the grid's name.
func (g *Grid) Name() string { return g.cfg.Name }

// Config returns the grid's configuration, defaults filled in.
func (g *Grid) Config() GridConfig { return g.cfg }

// active tells the cameras whether anyone watches the grid; nobody watching,
// they skip scaling for it.
func (g *Grid) active() bool { return g.watched.Load() }

// tilesSettle is how long the tiles take to fill once cameras start feeding
// an idle grid: a snapshot taken sooner would show placeholders.
const tilesSettle = 400 * time.Millisecond

// run composes a picture every 1/fps while the grid is played or
// snapshotted, encodes it while it is played, and answers snapshots.
func (g *Grid) run() {
	defer g.wg.Done()
	period := time.Second / time.Duration(g.cfg.Output.FPS)
	tick := time.NewTicker(period)
	defer tick.Stop()
	sample := time.NewTicker(time.Second)
	defer sample.Stop()
	start := time.Now()
	var lastLog, feedingSince time.Time
	for {
		select {
		case <-g.ctx.Done():
			return
		case <-sample.C:
			g.out.sample()
			continue
		case now := <-tick.C:
			played := g.out.watched()
			snapshotting := g.snaps.wanted(now)
			g.watched.Store(played || snapshotting)
			if !played && !snapshotting {
				feedingSince = time.Time{}
				continue
			}
			if feedingSince.IsZero() {
				feedingSince = now
			}
			live, err := g.draw(now)
			if err == nil && played {
				err = g.encode(timelineStart + now.Sub(start))
			}
			if err != nil && time.Since(lastLog) > 10*time.Second {
				lastLog = time.Now()
				g.log.Warn().Err(err).Msg("compose")
			}
			if err == nil && (live == len(g.slots) || now.Sub(feedingSince) >= tilesSettle) {
				g.snaps.serve(g.canvas)
			}
		}
	}
}

// draw copies every tile, or its placeholder, into the canvas, and returns
// how many were live.
func (g *Grid) draw(now time.Time) (int, error) {
	if err := g.canvas.MakeWritable(); err != nil {
		return 0, err
	}
	live := 0
	for _, s := range g.slots {
		if s.drawInto(g.canvas, now) {
			live++
		}
	}
	g.liveTiles.Store(int64(live))
	return live, nil
}

// encode encodes the canvas and sends it to the grid's readers.
func (g *Grid) encode(pts time.Duration) error {
	g.canvas.SetPTS(pts)
	return g.out.encode(g.canvas)
}

// GridStats describes a grid.
type GridStats struct {
	Name      string      `json:"name"`
	Cameras   []string    `json:"cameras"`
	Layout    string      `json:"layout"`
	Fit       Fit         `json:"fit"`
	LiveTiles int         `json:"live_tiles"`
	Output    OutputStats `json:"output"`
	LastError string      `json:"last_error,omitempty"` // why the grid does not run
}

// Stats returns a snapshot of the grid's counters.
func (g *Grid) Stats() GridStats {
	live := int(g.liveTiles.Load())
	if !g.watched.Load() {
		// Nothing is composed while nobody watches: count the cameras that
		// would show a picture.
		live = 0
		for _, s := range g.slots {
			if c := s.cam.Load(); c != nil && c.anyFeedReady() {
				live++
			}
		}
	}
	st := GridStats{
		Name: g.cfg.Name, Cameras: g.cfg.Cameras, Layout: fmt.Sprintf("%dx%d", g.cfg.Cols, g.cfg.Rows), Fit: g.cfg.Fit,
		LiveTiles: live, LastError: g.LastError(),
		Output: OutputStats{Name: "grid", Path: "grid/" + g.cfg.Name, LastFrameMs: -1},
	}
	if g.out != nil { // nil for a grid that could not start
		st.Output = g.out.stats()
	}
	return st
}

// sinkFor makes the tile sink a camera feeds for slot s.
func (g *Grid) sinkFor(s *tileSlot) *tileSink {
	return &tileSink{slot: s, grid: g, fit: g.cfg.Fit, alg: g.cfg.Output.Scale,
		gate: NewFrameRateGate(g.cfg.Output.FPS)}
}

// stop ends the compositor, unpublishes the stream and frees the pictures.
// Cameras must have been detached first; a camera still holding a sink finds
// its tile gone and skips it.
func (g *Grid) stop() {
	if g.cancel != nil {
		g.cancel()
	}
	g.wg.Wait()
	g.release()
}

func (g *Grid) release() {
	if g.out != nil {
		// Kept after Close: Stats may still be asked by an API request that
		// found the grid just before it was removed.
		g.out.Close()
	}
	for _, s := range g.slots {
		s.mu.Lock()
		if s.tile != nil {
			s.tile.Close()
			s.tile = nil
		}
		s.mu.Unlock()
	}
	g.snaps.close()
	if g.canvas != nil {
		g.canvas.Close()
		g.canvas = nil
	}
}
