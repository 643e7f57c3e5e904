// Package rtspclient is an RTSP viewer: it plays a path of an RTSP server (the
// gateway's, a camera's) and reports what it receives — pictures, packets,
// keyframes, timestamp order — as a viewer sees it. The soak harness, the
// benchmarks and the tests (through rtsp/rtsptest) read streams with it.
//
// It is separate from rtsp.Source, the gateway's camera client, on purpose: a
// viewer must report what arrives as it arrives, with no repair.
// gortsplib types stay inside this package.
package rtspclient

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"

	"github.com/camgate/camgate/codec"
)

// Codec names a media format as the SDP gives it ("H264", "H265", "G711", …).
type Codec string

// The video codecs a Player reassembles.
const (
	H264 Codec = "H264"
	H265 Codec = "H265"
)

// Config says what to play and how.
type Config struct {
	URL string // rtsp://[user:pass@]host:port/path
	UDP bool   // RTP over UDP instead of interleaved in the TCP connection

	// ReadTimeout bounds every RTSP response and, once playing, the time
	// without any packet before the session ends. Default 10 s.
	ReadTimeout time.Duration

	// Retry makes Play try again, every 100 ms for up to this long, while
	// the path cannot be played (not published yet). 0: one try.
	Retry time.Duration

	// OnAccessUnit, if set, gets every complete video access unit, from the
	// client's reading goroutine, before it is counted. It must not keep the
	// Player busy for long.
	OnAccessUnit func(AccessUnit)
}

// AccessUnit is one picture as it arrived.
type AccessUnit struct {
	NALUs    [][]byte      // without start codes
	PTS      time.Duration // from the start of the session
	Keyframe bool          // IDR (H.264) or IRAP (H.265)
	Arrival  time.Time
}

// Stats are a Player's counters, over every session it played.
type Stats struct {
	Sessions     int       // sessions played (PLAY answered)
	Packets      int       // RTP packets of every media
	Pictures     int       // complete video access units with a timestamp
	Keyframes    int       // pictures that were keyframes
	Last         time.Time // arrival of the last picture
	Backwards    int       // pictures timed before the previous one of their session
	Repeated     int       // pictures timed equal to the previous one of their session
	PacketsLost  int
	DecodeErrors int // RTP packets that could not be reassembled or parsed
}

// Session describes the session being played, or the last one.
type Session struct {
	Codec  Codec // the video track that is reassembled
	UDP    bool  // the transport is RTP over UDP
	Played time.Time
}

// Player plays one path. Its methods are safe for concurrent use.
type Player struct {
	cfg Config
	url *base.URL

	mu      sync.Mutex
	client  *gortsplib.Client // the current one, nil between sessions
	closed  bool
	st      Stats
	session Session
	lastPTS time.Duration

	stop chan struct{}
	wg   sync.WaitGroup
}

// noPTS is the previous timestamp of a session that has none yet.
const noPTS = time.Duration(math.MinInt64)

func newPlayer(cfg Config) (*Player, error) {
	u, err := base.ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	return &Player{cfg: cfg, url: u, stop: make(chan struct{}), lastPTS: noPTS}, nil
}

// Play plays cfg.URL, retrying for up to cfg.Retry, and returns once the
// server answered PLAY. When the session ends the Player stays as it is,
// counters included.
func Play(cfg Config) (*Player, error) {
	p, err := newPlayer(cfg)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(cfg.Retry)
	for {
		err = p.playOnce()
		if err == nil {
			return p, nil
		}
		if !time.Now().Before(deadline) {
			return nil, fmt.Errorf("play %s: %w", redact(cfg.URL), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// PlayAlways plays cfg.URL until Close, as a viewer that never gives up:
// whenever the session fails, ends or is dropped, it plays again 200 ms
// later. It returns at once; Stats tells when pictures flow.
func PlayAlways(cfg Config) (*Player, error) {
	p, err := newPlayer(cfg)
	if err != nil {
		return nil, err
	}
	p.wg.Add(1)
	go p.keepPlaying()
	return p, nil
}

func (p *Player) keepPlaying() {
	defer p.wg.Done()
	for {
		if p.playOnce() == nil {
			p.mu.Lock()
			c := p.client
			p.mu.Unlock()
			_ = c.Wait() // until the session fails, Drop or Close
			c.Close()
			p.mu.Lock()
			p.client = nil
			p.mu.Unlock()
		}
		select {
		case <-p.stop:
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

var errClosed = errors.New("closed")

// playOnce opens one session: DESCRIBE, SETUP of every media, PLAY. On
// success p.client is the playing client.
func (p *Player) playOnce() error {
	proto := gortsplib.ProtocolTCP
	if p.cfg.UDP {
		proto = gortsplib.ProtocolUDP
	}
	c := &gortsplib.Client{
		Scheme:      p.url.Scheme,
		Host:        p.url.Host,
		Protocol:    &proto,
		ReadTimeout: p.cfg.ReadTimeout,
		OnPacketsLost: func(n uint64) {
			p.mu.Lock()
			p.st.PacketsLost += int(n)
			p.mu.Unlock()
		},
		OnDecodeError: func(error) {
			p.mu.Lock()
			p.st.DecodeErrors++
			p.mu.Unlock()
		},
	}
	if err := c.Start(); err != nil {
		return err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.Close()
		return errClosed
	}
	p.client = c // from here Close can end the handshake
	p.mu.Unlock()
	fail := func(step string, err error) error {
		c.Close()
		p.mu.Lock()
		p.client = nil
		p.mu.Unlock()
		return fmt.Errorf("%s: %w", step, err)
	}

	desc, _, err := c.Describe(p.url)
	if err != nil {
		return fail("describe", err)
	}
	video, name := findVideo(desc)
	if video == nil {
		return fail("describe", errors.New("no H.264 or H.265 video"))
	}
	if err := c.SetupAll(desc.BaseURL, desc.Medias); err != nil {
		return fail("setup", err)
	}
	reassemble, err := newReassembler(video.format)
	if err != nil {
		return fail("setup", err)
	}
	clockRate := video.format.ClockRate()
	p.mu.Lock()
	p.lastPTS = noPTS // a new session: its timestamps start anywhere
	p.mu.Unlock()
	c.OnPacketRTPAny(func(m *description.Media, f format.Format, pkt *rtp.Packet) {
		p.mu.Lock()
		p.st.Packets++
		p.mu.Unlock()
		if m != video.media || f != video.format {
			return
		}
		pts, ok := c.PacketPTS(m, pkt)
		nalus, err := reassemble(pkt)
		if err != nil || !ok {
			return // more packets needed, a broken payload (counted by the client), or no timing yet
		}
		au := AccessUnit{NALUs: nalus, PTS: codec.Duration(pts, clockRate),
			Keyframe: codec.IsKeyframe(video.codec, nalus), Arrival: time.Now()}
		if p.cfg.OnAccessUnit != nil {
			p.cfg.OnAccessUnit(au)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.st.Pictures++
		p.st.Last = au.Arrival
		if au.Keyframe {
			p.st.Keyframes++
		}
		switch {
		case au.PTS < p.lastPTS:
			p.st.Backwards++
		case au.PTS == p.lastPTS:
			p.st.Repeated++
		}
		p.lastPTS = au.PTS
	})
	if _, err := c.Play(nil); err != nil {
		return fail("play", err)
	}
	played := time.Now()
	udp := false
	if tr := c.Transport(); tr.Session != nil {
		udp = tr.Session.Protocol == gortsplib.ProtocolUDP
	}
	p.mu.Lock()
	p.st.Sessions++
	p.session = Session{Codec: name, UDP: udp, Played: played}
	p.mu.Unlock()
	return nil
}

type track struct {
	media  *description.Media
	format format.Format
	codec  codec.Codec
}

// findVideo returns the first H.264 or H.265 track.
func findVideo(desc *description.Session) (*track, Codec) {
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			switch f.(type) {
			case *format.H264:
				return &track{m, f, codec.H264}, H264
			case *format.H265:
				return &track{m, f, codec.H265}, H265
			}
		}
	}
	return nil, ""
}

// newReassembler returns a function that turns RTP packets into access
// units; it fails with an error (more packets needed, or a broken payload)
// until one is complete.
func newReassembler(f format.Format) (func(*rtp.Packet) ([][]byte, error), error) {
	switch f := f.(type) {
	case *format.H264:
		d, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return d.Decode, nil
	case *format.H265:
		d, err := f.CreateDecoder()
		if err != nil {
			return nil, err
		}
		return d.Decode, nil
	}
	return nil, fmt.Errorf("no reassembler for %s", f.Codec())
}

// Stats returns the counters so far.
func (p *Player) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st
}

// Session describes the session being played, or the last one.
func (p *Player) Session() Session {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.session
}

// Drop ends the current session, as a viewer that goes away does, without
// waiting for it to be closed. A Player from PlayAlways plays again; one from
// Play stays stopped.
func (p *Player) Drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil || p.closed {
		return
	}
	c := p.client
	p.wg.Add(1) // Close waits for it
	go func() {
		defer p.wg.Done()
		c.Close()
	}()
}

// Close ends the session and returns when every goroutine of the Player has
// ended. It may be called more than once.
func (p *Player) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	c := p.client
	p.mu.Unlock()
	close(p.stop)
	if c != nil {
		c.Close()
	}
	p.wg.Wait()
	return nil
}
