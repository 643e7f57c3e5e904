package rtsp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/stream"
)

// SessionInfo describes what a camera sends in one session.
type SessionInfo struct {
	Codec         codec.Codec
	ParameterSets codec.ParameterSets // from the SDP
	Medias        string              // human summary, e.g. "H264/90000 + PCMU/8000"; escaped and capped

	// Description is the session as the stream hub carries it: its tracks
	// (the camera's, back channels left out), the camera's SDP as the native
	// description, and a key that changes only when the camera's formats do.
	Description stream.Description
}

// SourceHandler receives what a Source reads. OnSession is called once per
// session before PLAY. OnUnit is called from the client's reading goroutines
// with every video access unit (carrying its RTP packets as Native) and every
// audio or data packet of the session; it must not block: hand work to
// another goroutine. With the UDP transport, OnUnit may be called
// concurrently for different tracks.
type SourceHandler interface {
	OnSession(SessionInfo) error
	OnUnit(stream.Unit)
}

// SourceConfig says how to reach a camera.
type SourceConfig struct {
	URL       string // rtsp:// or rtsps://, user and password allowed
	Transport Transport

	// ConnectTimeout bounds connecting and the DESCRIBE/SETUP/PLAY exchange.
	// Default 10 s.
	ConnectTimeout time.Duration

	// ReadTimeout bounds every RTSP response and, once playing, the time
	// without any packet before the session is considered dead. Default 10 s.
	ReadTimeout time.Duration

	// StallTimeout is how long the session may go without a complete video
	// access unit, even while the connection is alive, before it ends with
	// ErrStalled. Default 5 s.
	StallTimeout time.Duration
}

func (c SourceConfig) withDefaults() SourceConfig {
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 10 * time.Second
	}
	if c.StallTimeout <= 0 {
		c.StallTimeout = 5 * time.Second
	}
	return c
}

// ErrStalled ends a session whose camera keeps the connection open but sends
// no video: the "ready with 0 bytes/s" failure.
var ErrStalled = errors.New("stalled: no video")

// SourceStats are a Source's counters since it was made.
type SourceStats struct {
	BytesIn       uint64 // RTP payload and header bytes of every media
	AccessUnits   uint64 // complete video access units
	PacketsLost   uint64
	DecodeErrors  uint64 // RTP packets that could not be depacketized
	LastVideoUnix int64  // when the last access unit arrived, UnixNano; 0 if never
}

// Source pulls one camera. Run holds one session; the caller decides when to
// run it again. Counters survive across sessions.
type Source struct {
	cfg SourceConfig
	url *base.URL

	bytesIn      atomic.Uint64
	accessUnits  atomic.Uint64
	packetsLost  atomic.Uint64
	decodeErrors atomic.Uint64
	lastVideo    atomic.Int64
}

// NewSource checks the configuration.
func NewSource(cfg SourceConfig) (*Source, error) {
	u, err := base.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("camera URL %s: %w", Redact(cfg.URL), err)
	}
	if u.Scheme != "rtsp" && u.Scheme != "rtsps" {
		return nil, fmt.Errorf("camera URL %s: scheme must be rtsp or rtsps", Redact(cfg.URL))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("camera URL %s: no host", Redact(cfg.URL))
	}
	return &Source{cfg: cfg.withDefaults(), url: u}, nil
}

// URL returns the camera's URL with its password redacted.
func (s *Source) URL() string { return Redact(s.cfg.URL) }

// Stats returns the counters.
func (s *Source) Stats() SourceStats {
	return SourceStats{
		BytesIn:       s.bytesIn.Load(),
		AccessUnits:   s.accessUnits.Load(),
		PacketsLost:   s.packetsLost.Load(),
		DecodeErrors:  s.decodeErrors.Load(),
		LastVideoUnix: s.lastVideo.Load(),
	}
}

// Run connects, plays and delivers to h until the session fails, stalls or ctx
// ends. It returns only after the connection and every goroutine it started
// are gone. The error says what ended the session (ctx.Err() on cancellation);
// its text, which may quote the camera, is escaped and capped (CameraText).
func (s *Source) Run(ctx context.Context, h SourceHandler) error {
	return safeError(s.run(ctx, h))
}

func (s *Source) run(ctx context.Context, h SourceHandler) error {
	c := s.newClient()
	if err := c.Start(); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	w := watchHandshake(ctx, c, s.cfg.ConnectTimeout)
	defer w.stop()

	info, err := s.open(c, h)
	if err != nil {
		return w.explain(ctx, err)
	}
	if err := h.OnSession(info); err != nil {
		return err
	}
	if _, err := c.Play(nil); err != nil {
		return w.explain(ctx, fmt.Errorf("play: %w", err))
	}
	w.handshakeDone()
	return s.watchPlaying(ctx, c)
}

// hostPort is the camera's address, with the scheme's default port if the
// URL has none: 554 for rtsp://, 322 for rtsps:// (gortsplib's and RFC
// 7826's).
func (s *Source) hostPort() string {
	if s.url.Port() == "" {
		if s.url.Scheme == "rtsps" {
			return net.JoinHostPort(s.url.Hostname(), "322")
		}
		return net.JoinHostPort(s.url.Hostname(), "554")
	}
	return s.url.Host
}

// Probe tells whether the camera's port accepts a TCP connection within
// timeout, and closes the connection at once: the cheap check that a camera
// that was gone is back, which may run often where a full RTSP handshake
// (and the camera's work to answer it) may not.
func (s *Source) Probe(ctx context.Context, timeout time.Duration) bool {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", s.hostPort())
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

func (s *Source) newClient() *gortsplib.Client {
	timeout := s.cfg.ConnectTimeout
	return &gortsplib.Client{
		Scheme:        s.url.Scheme,
		Host:          s.hostPort(),
		Protocol:      s.cfg.Transport.protocol(),
		ReadTimeout:   s.cfg.ReadTimeout,
		WriteTimeout:  s.cfg.ReadTimeout,
		UserAgent:     "camgate",
		DialContext:   dialCamera(s.hostPort(), s.url.User != nil, net.Dialer{Timeout: timeout}),
		OnPacketsLost: func(lost uint64) { s.packetsLost.Add(lost) },
		OnDecodeError: func(error) { s.decodeErrors.Add(1) },
	}
}

// open describes the camera's stream, sets up its tracks and routes their
// packets to h.
func (s *Source) open(c *gortsplib.Client, h SourceHandler) (SessionInfo, error) {
	desc, _, err := c.Describe(s.url)
	if err != nil {
		return SessionInfo{}, fmt.Errorf("describe: %w", err)
	}
	sess, info, err := newSourceSession(s, desc, h)
	if err != nil {
		return SessionInfo{}, err
	}
	if err := c.SetupAll(desc.BaseURL, sess.medias); err != nil {
		return SessionInfo{}, fmt.Errorf("setup: %w", err)
	}
	c.OnPacketRTPAny(func(m *description.Media, f format.Format, pkt *rtp.Packet) {
		s.bytesIn.Add(uint64(pkt.MarshalSize()))
		pts, ok := c.PacketPTS(m, pkt)
		sess.onPacket(m, f, pkt, pts, ok)
	})
	return info, nil
}

// watchPlaying waits until the session ends, ctx ends, or no video came for
// the stall timeout.
func (s *Source) watchPlaying(ctx context.Context, c *gortsplib.Client) error {
	waitErr := make(chan error, 1)
	go func() { waitErr <- c.Wait() }()
	defer func() {
		c.Close()
		<-waitErr
	}()
	playing := time.Now()
	tick := time.NewTicker(s.cfg.StallTimeout / 10)
	defer tick.Stop()
	for {
		select {
		case err := <-waitErr:
			waitErr <- err // for the deferred receive
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("session: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case now := <-tick.C:
			last := time.Unix(0, s.lastVideo.Load())
			if last.Before(playing) {
				last = playing
			}
			if now.Sub(last) > s.cfg.StallTimeout {
				return fmt.Errorf("%w for %v", ErrStalled, now.Sub(last).Round(100*time.Millisecond))
			}
		}
	}
}

// handshakeWatch ends the client when ctx ends or the handshake takes longer
// than its timeout. Its goroutine is gone when stop returns.
type handshakeWatch struct {
	c        *gortsplib.Client
	timeout  time.Duration
	stopped  chan struct{}
	done     chan struct{}
	shaken   chan struct{}
	timedOut atomic.Bool
}

func watchHandshake(ctx context.Context, c *gortsplib.Client, timeout time.Duration) *handshakeWatch {
	w := &handshakeWatch{c: c, timeout: timeout, stopped: make(chan struct{}), done: make(chan struct{}), shaken: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTimer(timeout)
		defer t.Stop()
		shaken := w.shaken
		for {
			select {
			case <-ctx.Done():
				c.Close()
				return
			case <-w.stopped:
				return
			case <-shaken:
				shaken = nil
			case <-t.C:
				if shaken != nil {
					w.timedOut.Store(true)
					c.Close()
					return
				}
			}
		}
	}()
	return w
}

func (w *handshakeWatch) handshakeDone() { close(w.shaken) }

func (w *handshakeWatch) stop() {
	close(w.stopped)
	<-w.done
	w.c.Close()
}

// explain says why a handshake step failed: cancellation, the timeout, or the
// step's own error.
func (w *handshakeWatch) explain(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if w.timedOut.Load() {
		step, _, _ := strings.Cut(err.Error(), ":")
		return fmt.Errorf("%s: no answer within %v", step, w.timeout)
	}
	return err
}
