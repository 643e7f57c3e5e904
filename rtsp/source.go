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
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/pion/rtp"

	"github.com/camgate/camgate/internal/annexb"
)

// Codec is the video codec of a camera.
type Codec int

// Video codecs camgate takes from cameras.
const (
	H264 Codec = iota + 1
	H265
)

func (c Codec) String() string {
	switch c {
	case H264:
		return "H.264"
	case H265:
		return "H.265"
	}
	return fmt.Sprintf("Codec(%d)", int(c))
}

// AccessUnit is one video picture: its NAL units without start codes and its
// presentation time from the start of the session. The slices are not reused
// by the Source and may be kept.
type AccessUnit struct {
	NALUs    [][]byte
	PTS      time.Duration
	Keyframe bool // an IDR (H.264) or IRAP (H.265) picture
}

// Packet is an RTP packet of one of the session's media, for passthrough to a
// Relay. It is opaque outside this package.
type Packet struct {
	media int
	pkt   *rtp.Packet
}

// SessionInfo describes what a camera sends in one session.
type SessionInfo struct {
	Codec         Codec
	ParameterSets [][]byte // SPS/PPS (and VPS) from the SDP, without start codes
	Medias        string   // human summary, e.g. "H264/90000 + PCMU/8000"
	desc          *description.Session
}

// SourceHandler receives what a Source reads. OnSession is called once per
// session before PLAY; OnAccessUnit and OnPacket are called from the client's
// reading goroutines and must not block: hand work to another goroutine.
// With the UDP transport, OnPacket may be called concurrently for different media.
type SourceHandler interface {
	OnSession(SessionInfo) error
	OnAccessUnit(AccessUnit)
	OnPacket(Packet)
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
// are gone. The error says what ended the session (ctx.Err() on cancellation).
func (s *Source) Run(ctx context.Context, h SourceHandler) error {
	cfg := s.cfg
	host := s.url.Host
	if s.url.Port() == "" {
		host = net.JoinHostPort(s.url.Hostname(), "554")
	}
	c := &gortsplib.Client{
		Scheme:       s.url.Scheme,
		Host:         host,
		Protocol:     cfg.Transport.protocol(),
		ReadTimeout:  cfg.ReadTimeout,
		WriteTimeout: cfg.ReadTimeout,
		UserAgent:    "camgate",
		DialContext: func(dctx context.Context, network, addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: cfg.ConnectTimeout}
			return d.DialContext(dctx, network, addr)
		},
		OnPacketsLost: func(lost uint64) { s.packetsLost.Add(lost) },
		OnDecodeError: func(error) { s.decodeErrors.Add(1) },
	}
	if err := c.Start(); err != nil {
		return fmt.Errorf("connect: %w", err)
	}

	// One goroutine ends the client when ctx ends or the handshake takes too
	// long; it is gone before Run returns.
	stop := make(chan struct{})
	watchDone := make(chan struct{})
	handshakeDone := make(chan struct{})
	var timedOut atomic.Bool
	go func() {
		defer close(watchDone)
		t := time.NewTimer(cfg.ConnectTimeout)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				c.Close()
				return
			case <-stop:
				return
			case <-handshakeDone:
				handshakeDone = nil
			case <-t.C:
				if handshakeDone != nil {
					timedOut.Store(true)
					c.Close()
					return
				}
			}
		}
	}()
	defer func() {
		close(stop)
		<-watchDone
		c.Close()
	}()

	fail := func(step string, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if timedOut.Load() {
			return fmt.Errorf("%s: no answer within %v", step, cfg.ConnectTimeout)
		}
		return fmt.Errorf("%s: %w", step, err)
	}

	desc, _, err := c.Describe(s.url)
	if err != nil {
		return fail("describe", err)
	}
	info, video, err := sessionInfo(desc)
	if err != nil {
		return err
	}
	var medias []*description.Media
	for _, m := range desc.Medias {
		if !m.IsBackChannel {
			medias = append(medias, m)
		}
	}
	if err := c.SetupAll(desc.BaseURL, medias); err != nil {
		return fail("setup", err)
	}
	mediaIndex := make(map[*description.Media]int, len(desc.Medias))
	for i, m := range desc.Medias {
		mediaIndex[m] = i
	}

	depacketize, err := newDepacketizer(video.format)
	if err != nil {
		return err
	}
	c.OnPacketRTPAny(func(m *description.Media, f format.Format, pkt *rtp.Packet) {
		s.bytesIn.Add(uint64(pkt.MarshalSize()))
		h.OnPacket(Packet{media: mediaIndex[m], pkt: pkt})
		if m != video.media || f != video.format {
			return
		}
		// The PTS is known from the first keyframe on; until then access
		// units are dropped, as no decoder could use them anyway.
		pts, ptsOK := c.PacketPTS(m, pkt)
		nalus, key, err := depacketize(pkt)
		if err != nil {
			if !errors.Is(err, rtph264.ErrMorePacketsNeeded) && !errors.Is(err, rtph265.ErrMorePacketsNeeded) &&
				!errors.Is(err, rtph264.ErrNonStartingPacketAndNoPrevious) && !errors.Is(err, rtph265.ErrNonStartingPacketAndNoPrevious) {
				s.decodeErrors.Add(1)
			}
			return
		}
		if !ptsOK {
			return
		}
		s.accessUnits.Add(1)
		s.lastVideo.Store(time.Now().UnixNano())
		h.OnAccessUnit(AccessUnit{
			NALUs:    nalus,
			PTS:      time.Duration(pts) * time.Second / time.Duration(video.format.ClockRate()),
			Keyframe: key,
		})
	})

	if err := h.OnSession(info); err != nil {
		return err
	}
	if _, err := c.Play(nil); err != nil {
		return fail("play", err)
	}
	close(handshakeDone)

	waitErr := make(chan error, 1)
	go func() { waitErr <- c.Wait() }()
	defer func() {
		c.Close()
		<-waitErr
	}()

	playing := time.Now()
	tick := time.NewTicker(cfg.StallTimeout / 10)
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
			if now.Sub(last) > cfg.StallTimeout {
				return fmt.Errorf("%w for %v", ErrStalled, now.Sub(last).Round(100*time.Millisecond))
			}
		}
	}
}

type videoTrack struct {
	media  *description.Media
	format format.Format
}

// sessionInfo finds the video track camgate decodes (the first H.264 or H.265
// one) and summarises the session.
func sessionInfo(desc *description.Session) (SessionInfo, videoTrack, error) {
	info := SessionInfo{desc: desc}
	var v videoTrack
	var names []string
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			names = append(names, fmt.Sprintf("%s/%d", f.Codec(), f.ClockRate()))
			if v.format != nil {
				continue
			}
			switch f := f.(type) {
			case *format.H264:
				v = videoTrack{m, f}
				info.Codec = H264
				sps, pps := f.SafeParams()
				info.ParameterSets = nonEmpty(sps, pps)
			case *format.H265:
				v = videoTrack{m, f}
				info.Codec = H265
				vps, sps, pps := f.SafeParams()
				info.ParameterSets = nonEmpty(vps, sps, pps)
			}
		}
	}
	info.Medias = strings.Join(names, " + ")
	if v.format == nil {
		return info, v, fmt.Errorf("describe: no H.264 or H.265 video in the camera's stream (it offers %s)", info.Medias)
	}
	return info, v, nil
}

func nonEmpty(bs ...[]byte) [][]byte {
	var out [][]byte
	for _, b := range bs {
		if len(b) > 0 {
			out = append(out, b)
		}
	}
	return out
}

// newDepacketizer returns a function that turns RTP packets into access units.
func newDepacketizer(f format.Format) (func(*rtp.Packet) ([][]byte, bool, error), error) {
	switch f := f.(type) {
	case *format.H264:
		d, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return func(p *rtp.Packet) ([][]byte, bool, error) {
			au, err := d.Decode(p)
			return au, err == nil && annexb.IsKeyframe(au, false), err
		}, nil
	case *format.H265:
		d, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return func(p *rtp.Packet) ([][]byte, bool, error) {
			au, err := d.Decode(p)
			return au, err == nil && annexb.IsKeyframe(au, true), err
		}, nil
	}
	return nil, fmt.Errorf("no depacketizer for %s", f.Codec())
}
