package pipeline

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/stream"
)

// Camera is one camera's goroutine tree:
//
//   - the supervisor runs sessions of the rtsp.Source one after another, with
//     backoff between failures; the source's reading goroutines write every
//     unit to the hub's <camera>/main and queue access units for decoding;
//   - the decoder goroutine decodes each access unit once and hands the
//     picture to every output (sub stream, transcoded main);
//   - the meter goroutine samples counters once a second for the rates.
//
// Stop cancels the tree and returns when all of it is gone.
type Camera struct {
	cfg  CameraConfig
	log  zerolog.Logger
	src  *rtsp.Source
	main *stream.Stream // passthrough main, or nil
	outs []*output

	queue  chan queuedAU
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	state      State
	since      time.Time
	lastErr    string
	lastErrAt  time.Time
	reconnects uint64
	readyAt    time.Time

	// The session running now (nil between sessions), and how to end it
	// with a cause: what lets the decoder make it ready, or fail it.
	live       *session
	endSession context.CancelCauseFunc

	snaps *snapshotter // snapshots keep the decoder running while wanted

	stateNow atomic.Int32                // state, for readers that must not lock
	sinks    atomic.Pointer[[]*tileSink] // grid tiles fed from this camera's pictures

	queueDrops   atomic.Uint64
	decodeErrors atomic.Uint64
	keyWaits     atomic.Uint64 // access units skipped while waiting for a keyframe
	decodedPics  atomic.Uint64
	inBytes      meter
	inFrames     meter

	// Ingest state, touched only by the source's video goroutine.
	ingest ingestState
}

// session is what the decoder needs to know about the camera's current session.
type session struct {
	id     uint64
	codec  codec.Codec
	params [][]byte
}

// parses tells whether a keyframe's access unit and the session's parameter
// sets make a picture a decoder could start from: a picture size read from
// the SPS and a PPS (and for H.265 a VPS), from the SDP or in band.
func (s *session) parses(au [][]byte) bool {
	ps := codec.FromList(s.codec, s.params)
	ps.Update(s.codec, au)
	w, h := ps.PictureSize(s.codec)
	return w > 0 && h > 0 && len(ps.PPS) > 0 && (s.codec != codec.H265 || len(ps.VPS) > 0)
}

// queuedAU is an access unit waiting for the decoder.
type queuedAU struct {
	au   codec.AccessUnit
	sess *session
}

// ingestState rebases timestamps across sessions and tracks queue drops.
// The video goroutine owns it; offset is shared with the other tracks'.
type ingestState struct {
	sess     *session
	rebase   bool
	lastPTS  time.Duration // the latest time on the camera's time line so far
	prevPTS  time.Duration // the previous access unit's time, as the camera gave it (rebased)
	lastWall time.Time     // when the previous access unit came
	started  bool
	dropping bool
	ready    bool

	// offset turns the session's times into the camera's continuous time
	// line; noOffset until the session's first picture.
	offset atomic.Int64
}

const noOffset = math.MinInt64

// maxReorder bounds how far back in time a camera's picture may come after
// a later one: B-frames do by design, by a few frames (H.264 allows 16,
// about a second at 15 fps). Further back, the camera's clock was reset.
const maxReorder = 2 * time.Second

// timelineStart is where the time lines of cameras and grids start: zero, but tests that
// check clocks a day or years into a stream start it there.
var timelineStart time.Duration

// sinceLast is the time since the previous access unit came, at least a
// millisecond: the next time on the time line is never the same.
func sinceLast(now, last time.Time) time.Duration {
	return max(now.Sub(last), time.Millisecond)
}

// StartCamera publishes the camera's paths on srv and starts its goroutines.
// The camera runs until Stop or until ctx ends.
func StartCamera(ctx context.Context, cfg CameraConfig, hub *stream.Hub, log zerolog.Logger) (*Camera, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("camera %s: %w", cfg.Name, err)
	}
	src, err := rtsp.NewSource(rtsp.SourceConfig{
		URL: cfg.URL, Transport: cfg.Transport,
		ConnectTimeout: cfg.ConnectTimeout, ReadTimeout: cfg.ReadTimeout, StallTimeout: cfg.StallTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("camera %s: %w", cfg.Name, err)
	}
	c := &Camera{
		cfg: cfg, src: src, state: StateConnecting, since: time.Now(),
		log:   log.With().Str("camera", cfg.Name).Logger(),
		queue: make(chan queuedAU, cfg.QueueSize),
		snaps: newSnapshotter(),
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
	}
	if cfg.Sub.Enabled {
		out, err := newOutput(hub, cfg.Name+"/sub", "sub", cfg.Sub)
		if err != nil {
			return fail(fmt.Errorf("sub: %w", err))
		}
		c.outs = append(c.outs, out)
	}

	c.ctx, c.cancel = context.WithCancel(ctx)
	c.wg.Add(3)
	go c.guard("supervise", c.supervise) // guard: restart.go
	go c.guard("decode", c.decode)
	go c.guard("meters", c.sampleMeters)
	c.log.Info().Str("url", src.URL()).Str("transport", cfg.Transport.String()).Msg("camera started")
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

func (c *Camera) setState(s State, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setStateLocked(s, err)
}

func (c *Camera) setStateLocked(s State, err error) {
	if c.state == StateStopped {
		return
	}
	if c.state != s {
		c.state, c.since = s, time.Now()
		c.stateNow.Store(int32(s))
		if s == StateReady {
			c.log.Info().Msg("camera ready: video flowing")
		}
	}
	if s == StateReady {
		c.readyAt = c.since
	}
	if err != nil {
		c.lastErr, c.lastErrAt = rtsp.RedactText(err.Error()), time.Now()
	}
}

// needsPixels tells whether any output or grid wants decoded pictures.
func (c *Camera) needsPixels() bool {
	if len(c.outs) > 0 || c.snaps.wanted(time.Now()) {
		return true
	}
	sinks := c.sinks.Load()
	return sinks != nil && len(*sinks) > 0
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

// sourceHandler receives the source's callbacks.
type sourceHandler Camera

func (h *sourceHandler) OnSession(info rtsp.SessionInfo) error {
	c := (*Camera)(h)
	// OnSession runs before the session's reading goroutines start and after
	// the previous session's have ended: ingest is not shared here.
	id := uint64(1)
	if c.ingest.sess != nil {
		id = c.ingest.sess.id + 1
	}
	c.ingest.sess = &session{id: id, codec: info.Codec, params: info.ParameterSets.List()}
	c.mu.Lock()
	c.live = c.ingest.sess
	c.mu.Unlock()
	c.ingest.rebase = true
	c.ingest.ready = false
	c.ingest.dropping = false
	c.ingest.offset.Store(noOffset)
	if c.main != nil && c.main.SetDescription(info.Description) {
		c.log.Info().Str("medias", info.Medias).Msg("camera's stream parameters changed: readers of the main stream reconnect")
	}
	c.log.Info().Str("medias", info.Medias).Msg("session opened")
	return nil
}

func (h *sourceHandler) OnUnit(u stream.Unit) {
	c := (*Camera)(h)
	defer c.recoverCallback("ingest") // on the source's goroutines: guard does not cover them
	if u.Kind == stream.Video {
		c.ingestVideo(u)
		return
	}
	// Audio and data follow the video's time line; before the session's
	// first picture they have none, and no reader would start there anyway.
	if off := c.ingest.offset.Load(); off != noOffset && c.main != nil {
		u.PTS += time.Duration(off)
		c.main.Write(u)
	}
}

// ingestVideo rebases an access unit's time, relays it to the main stream and
// queues it for decoding.
func (c *Camera) ingestVideo(u stream.Unit) {
	in := &c.ingest
	now := time.Now()
	// Ready means video: decoded pictures when anything needs them (the
	// decoder then says so), else a keyframe whose parameter sets are known.
	if !in.ready && u.Keyframe && !c.needsPixels() && in.sess.parses(u.Data) {
		in.ready = true
		c.markReady(in.sess)
	}
	// Rebase so that timestamps continue across sessions, with the real
	// gap: a session's first picture comes after the latest of the last
	// session by the time that passed, never at its time.
	if in.rebase {
		off := timelineStart - u.PTS
		if in.started {
			off = in.lastPTS + sinceLast(now, in.lastWall) - u.PTS
		}
		in.offset.Store(int64(off))
		in.rebase, in.started = false, true
	}
	pts := u.PTS + time.Duration(in.offset.Load())
	if !in.lastWall.IsZero() && pts < in.lastPTS-maxReorder {
		// The camera's clock went back further than any B-frame goes (it
		// was reset): the time line goes on from where it was, and follows
		// the camera's clock again from there.
		off := in.lastPTS + sinceLast(now, in.lastWall) - u.PTS
		in.offset.Store(int64(off))
		pts = u.PTS + off
	}
	u.PTS = pts
	if c.main != nil {
		// The relay keeps the camera's own timing (B-frames go back in
		// presentation order); only the decoder's copy is corrected below.
		c.main.Write(u)
	}
	if pts == in.prevPTS && !in.lastWall.IsZero() {
		// The camera's clock stands still (some cameras send every picture
		// with one timestamp): the time that really passed keeps the
		// outputs' frame rates and the grid's tiles right. A picture whose
		// time is before the previous one's is not corrected: B-frames
		// come after the later pictures they are shown before, and the
		// decoder puts them back in order.
		pts = in.lastPTS + sinceLast(now, in.lastWall)
	}
	in.prevPTS, in.lastWall = u.PTS, now
	in.lastPTS = max(in.lastPTS, pts)

	if !c.needsPixels() {
		return
	}
	// Ingest never waits for the decoder. When the queue is full, drop up to
	// the next keyframe: a lone dropped picture would break its successors.
	if in.dropping && !u.Keyframe {
		c.queueDrops.Add(1)
		return
	}
	select {
	case c.queue <- queuedAU{au: codec.AccessUnit{NALUs: u.Data, PTS: pts, Keyframe: u.Keyframe}, sess: in.sess}:
		in.dropping = false
	default:
		in.dropping = true
		c.queueDrops.Add(1)
	}
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
		s := c.src.Stats()
		c.inBytes.sample(s.BytesIn)
		c.inFrames.sample(s.AccessUnits)
		for _, o := range c.outs {
			o.sample()
		}
	}
}
