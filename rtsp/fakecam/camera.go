// Package fakecam is a fake IP camera: an RTSP server that plays a clip in
// real time, in a loop (or pictures a Live source makes as it goes), and can be told to misbehave the way real cameras do
// (reboot, stall, send garbage, change resolution, slow down, freeze its
// clock). It is a product feature, not test code: camgate's built-in demo and
// the fakecam command serve it, and tests, benchmarks and the soak harness use
// it as their camera.
package fakecam

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"

	"github.com/camgate/camgate/codec"
)

// Clip is a video to play: access units of NAL units without start codes.
type Clip struct {
	AccessUnits [][][]byte
	HEVC        bool

	// Order is each access unit's rank in presentation order, for a clip
	// with B-frames, whose pictures are sent in another order than they are
	// shown: each is stamped with the time it shows. Nil: the same order
	// (no B-frames). LoadClip fills it in.
	Order []int
}

// LoadClip reads a raw Annex-B H.264 (.h264) or H.265 (.hevc, .h265) file.
func LoadClip(path string) (Clip, error) {
	aus, c, err := codec.ReadAnnexBFile(path)
	if err != nil {
		return Clip{}, err
	}
	if len(aus) == 0 || !codec.IsKeyframe(c, aus[0]) {
		return Clip{}, fmt.Errorf("%s: not an Annex-B stream starting with a keyframe", path)
	}
	clip := Clip{AccessUnits: aus, HEVC: c == codec.H265}
	if c == codec.H264 {
		clip.Order = presentationOrder(aus)
	}
	return clip, nil
}

// reorderDelay is how many frames a clip with B-frames sends a picture
// after it was taken, at most: a camera's encoder holds a picture until the
// B-frames shown before it have been taken too, and stamps each picture with
// the time it was taken.
func (c Clip) reorderDelay() int {
	d := 0
	for i, rank := range c.Order {
		d = max(d, rank-i)
	}
	return d
}

// Live is a picture source that makes its pictures while the camera plays
// (a clock burnt into each one, say) instead of a clip played in a loop. Its
// stream is H.264.
type Live interface {
	// ParameterSets returns the SPS and PPS NAL units the camera announces in
	// its SDP.
	ParameterSets() [][]byte
	// Picture returns the access unit of the picture taken at now: NAL units
	// without start codes, which the camera does not keep past the call; nil
	// for no picture this time. The camera calls it from one goroutine, once
	// per frame at the frame's send time, also while it is stalled, rebooting
	// or sending garbage (a camera keeps filming; that picture is then lost).
	Picture(now time.Time) [][]byte
}

// keyframer is what a Live source may also do: start over with a keyframe
// when the camera's sessions start over (Reboot, Kick), as a camera does.
type keyframer interface{ ForceKeyframe() }

// Config describes a fake camera.
type Config struct {
	Clip    Clip
	Live    Live   // pictures made live instead of Clip (then Clip may be empty)
	Path    string // default "stream"
	Address string // default "127.0.0.1:0" (an ephemeral port, kept across reboots)
	FPS     int    // default 25
	Audio   bool   // also send a G.711 µ-law track (a 1 kHz tone), as many cameras do
	UDP     bool   // also offer the UDP transport, on a free even/odd port pair

	// FirstTimestamp is the video's first RTP timestamp (audio's is the
	// same instant at its own clock rate). Real cameras start anywhere; one
	// just below 2^32 wraps at once, as a camera's clock does every 13.25
	// hours at 90 kHz. Default 0.
	FirstTimestamp uint32
	// OnListen, if set, is called with the moment the camera's port started
	// listening, each time it does: at Start and when a reboot ends. It is
	// called after the camera answers requests, from the goroutine that
	// brought it up, and must not block. Tests measure recovery from it.
	OnListen func(at time.Time)
}

// Camera is a running fake camera.
type Camera struct {
	cfg             Config
	addr            string
	udpRTP, udpRTCP string

	mu       sync.Mutex
	srv      *gortsplib.Server
	stream   *gortsplib.ServerStream
	video    *description.Media
	audio    *description.Media
	clip     Clip
	clipNext *Clip
	live     Live // nil: play clip
	down     bool
	listened time.Time // when the port last started listening

	// After a reboot the encoder starts afresh, as a real camera's does: the
	// first session played gets a keyframe first. rebooted is set by Reboot,
	// restartFor by that session's PLAY; play restarts the pictures once the
	// session is playing.
	rebooted   atomic.Bool
	restartFor atomic.Pointer[gortsplib.ServerSession]

	stalled, garbage, slow atomic.Bool
	frozenClock            atomic.Bool
	conns, connsOpen       atomic.Int64
	sessions, sessionsOpen atomic.Int64

	stop chan struct{}
	wg   sync.WaitGroup
}

// Start starts the camera.
func Start(cfg Config) (*Camera, error) {
	if len(cfg.Clip.AccessUnits) == 0 && cfg.Live == nil {
		return nil, errors.New("fakecam: empty clip")
	}
	if cfg.Live != nil && len(cfg.Live.ParameterSets()) == 0 {
		return nil, errors.New("fakecam: live source without parameter sets")
	}
	if cfg.Path == "" {
		cfg.Path = "stream"
	}
	if cfg.Address == "" {
		cfg.Address = "127.0.0.1:0"
	}
	if cfg.FPS <= 0 {
		cfg.FPS = 25
	}
	c := &Camera{cfg: cfg, addr: cfg.Address, clip: cfg.Clip, live: cfg.Live, stop: make(chan struct{})}
	for try := 0; ; try++ {
		if cfg.UDP {
			rtp, rtcp, err := FreeUDPPorts()
			if err != nil {
				return nil, err
			}
			c.udpRTP, c.udpRTCP = rtp, rtcp
		}
		err := c.up()
		if err == nil {
			c.notifyListen()
			break
		}
		// The UDP pair was free when checked, and may have been taken since:
		// another pair then.
		if !cfg.UDP || try == 4 || !strings.Contains(err.Error(), "address already in use") {
			return nil, err
		}
	}
	c.wg.Add(1)
	go c.play()
	return c, nil
}

// URL returns the camera's rtsp:// URL.
func (c *Camera) URL() string { return "rtsp://" + c.Addr() + "/" + c.cfg.Path }

// Addr returns host:port. (A reboot's listen writes it, under the lock.)
func (c *Camera) Addr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addr
}

// up starts the server and the stream on the camera's address.
func (c *Camera) up() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	srv := &gortsplib.Server{
		Handler:        (*handler)(c),
		RTSPAddress:    c.addr,
		UDPRTPAddress:  c.udpRTP,
		UDPRTCPAddress: c.udpRTCP,
		Listen: func(network, address string) (net.Listener, error) {
			l, err := net.Listen(network, address)
			if err == nil {
				c.addr = l.Addr().String()
				c.listened = time.Now()
			}
			return l, err
		},
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("fakecam: listen on %s: %w", c.addr, err)
	}
	c.srv = srv
	if err := c.newStreamLocked(); err != nil {
		srv.Close()
		c.srv = nil
		return err
	}
	c.down = false
	return nil
}

// newStreamLocked (re)creates the stream, with the clip's parameter sets in
// the SDP as real cameras announce them.
func (c *Camera) newStreamLocked() error {
	var vf format.Format
	if c.live != nil {
		ps := codec.FromList(codec.H264, c.live.ParameterSets())
		vf = &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: ps.SPS, PPS: ps.PPS}
		if k, ok := c.live.(keyframer); ok {
			k.ForceKeyframe()
		}
	} else if c.clip.HEVC {
		ps := codec.FromList(codec.H265, c.clip.AccessUnits[0])
		vf = &format.H265{PayloadTyp: 96, VPS: ps.VPS, SPS: ps.SPS, PPS: ps.PPS}
	} else {
		ps := codec.FromList(codec.H264, c.clip.AccessUnits[0])
		vf = &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: ps.SPS, PPS: ps.PPS}
	}
	c.video = &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{vf}}
	desc := &description.Session{Title: "fake camera", Medias: []*description.Media{c.video}}
	c.audio = nil
	if c.cfg.Audio {
		c.audio = &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{&format.G711{
			PayloadTyp: 0, MULaw: true, SampleRate: 8000, ChannelCount: 1,
		}}}
		desc.Medias = append(desc.Medias, c.audio)
	}
	st := &gortsplib.ServerStream{Server: c.srv, Desc: desc}
	if err := st.Initialize(); err != nil {
		return fmt.Errorf("fakecam: stream: %w", err)
	}
	if c.stream != nil {
		c.stream.Close()
	}
	c.stream = st
	return nil
}

// FreeUDPPorts finds a free pair of UDP ports on 127.0.0.1 for RTP (even) and
// RTCP (the next one), as RTSP servers need.
func FreeUDPPorts() (rtpAddr, rtcpAddr string, err error) {
	for i := 0; i < 100; i++ {
		l, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return "", "", err
		}
		port := l.LocalAddr().(*net.UDPAddr).Port
		l.Close()
		if port%2 != 0 {
			port++
		}
		a, err1 := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		b, err2 := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port+1))
		if a != nil {
			a.Close()
		}
		if b != nil {
			b.Close()
		}
		if err1 == nil && err2 == nil {
			return fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", port+1), nil
		}
	}
	return "", "", errors.New("fakecam: no free UDP port pair")
}

// Reboot drops every session and refuses connections for d, then comes back
// on the same address, as a camera does when it restarts. The first session
// played after it gets a keyframe first: the camera's encoder started afresh.
func (c *Camera) Reboot(d time.Duration) {
	c.mu.Lock()
	if c.down {
		c.mu.Unlock()
		return
	}
	c.down = true
	srv, st := c.srv, c.stream
	c.srv, c.stream = nil, nil
	c.mu.Unlock()
	st.Close()
	srv.Close()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		select {
		case <-time.After(d):
		case <-c.stop:
			return
		}
		// The port may take a moment to be free again.
		for i := 0; i < 50; i++ {
			c.rebooted.Store(true)
			if c.up() == nil {
				c.notifyListen()
				return
			}
			select {
			case <-time.After(20 * time.Millisecond):
			case <-c.stop:
				return
			}
		}
	}()
}

// notifyListen tells Config.OnListen when the port started listening.
func (c *Camera) notifyListen() {
	if c.cfg.OnListen == nil {
		return
	}
	c.mu.Lock()
	at := c.listened
	c.mu.Unlock()
	c.cfg.OnListen(at)
}

// Kick closes every session at once, without downtime: the client must
// reconnect.
func (c *Camera) Kick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv != nil {
		_ = c.newStreamLocked()
	}
}

// Stall keeps sessions open but stops sending RTP (the camera that hangs).
func (c *Camera) Stall(on bool) { c.stalled.Store(on) }

// Garbage replaces the video payloads with random bytes. The handshake stays
// correct (the SDP announces the clip's parameter sets): turned on before a
// client connects, it is the camera that answers RTSP well and then sends
// H.264 that does not decode.
func (c *Camera) Garbage(on bool) { c.garbage.Store(on) }

// Slow plays at half speed.
func (c *Camera) Slow(on bool) { c.slow.Store(on) }

// FreezeClock sends every picture with the same RTP timestamp while on, as
// some cameras and badly built servers do: the pictures keep coming at the
// frame rate, their timestamps say no time passes.
func (c *Camera) FreezeClock(on bool) { c.frozenClock.Store(on) }

// SetClip switches to another clip at the next frame, as a camera whose
// resolution is changed does: new SPS/PPS in band, same session and SDP. A
// camera with a Live source plays the clip from then on.
func (c *Camera) SetClip(clip Clip) {
	c.mu.Lock()
	c.clipNext = &clip
	c.mu.Unlock()
}

// Connections returns the TCP connections accepted so far and open now.
func (c *Camera) Connections() (total, open int) {
	return int(c.conns.Load()), int(c.connsOpen.Load())
}

// Sessions returns the RTSP sessions opened so far and open now.
func (c *Camera) Sessions() (total, open int) {
	return int(c.sessions.Load()), int(c.sessionsOpen.Load())
}

// Close stops the camera and waits for its goroutines.
func (c *Camera) Close() {
	select {
	case <-c.stop:
		return
	default:
	}
	close(c.stop)
	c.wg.Wait()
	c.mu.Lock()
	srv, st := c.srv, c.stream
	c.srv, c.stream = nil, nil
	c.mu.Unlock()
	if st != nil {
		st.Close()
	}
	if srv != nil {
		srv.Close()
	}
}

// play sends the clip in real time.
func (c *Camera) play() {
	defer c.wg.Done()
	period := time.Second / time.Duration(c.cfg.FPS)
	next := time.Now()
	var frame, index int
	loopStart, delay := 0, c.clip.reorderDelay() // the loop's first frame; the clip's
	videoEnc := newPacketizer(c.clip.HEVC && c.live == nil)
	audioTS := uint32(uint64(c.cfg.FirstTimestamp) * 8000 / codec.VideoClockRate)
	var videoSeq uint16
	var frozenTS uint32
	var sawPlaying bool
	rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
	tone := ulawTone()
	for {
		wait := time.Until(next)
		select {
		case <-c.stop:
			return
		case <-time.After(wait):
		}
		step := period
		if c.slow.Load() {
			step *= 2
		}
		next = next.Add(step)
		if time.Until(next) < -time.Second { // fell behind (machine busy): do not burst
			next = time.Now()
		}

		c.mu.Lock()
		if c.clipNext != nil {
			c.clip, c.clipNext, index, c.live = *c.clipNext, nil, 0, nil
			videoEnc = newPacketizer(c.clip.HEVC)
			delay = c.clip.reorderDelay()
		}
		st, video, audio, clip, live := c.stream, c.video, c.audio, c.clip, c.live
		c.mu.Unlock()
		// A frame after the one that saw the session playing: by then
		// gortsplib delivers the stream's packets to it.
		if s := c.restartFor.Load(); s != nil && s.State() == gortsplib.ServerSessionStatePlay {
			if sawPlaying {
				c.restartFor.Store(nil)
				sawPlaying = false
				index = 0 // the clip's first access unit is a keyframe
				if k, ok := live.(keyframer); ok {
					k.ForceKeyframe()
				}
			} else {
				sawPlaying = true
			}
		}

		// The picture's time: when it was taken, which with B-frames is not
		// the order it is sent in. Exact for every frame, where a per-frame
		// step would drift; 32-bit RTP time wraps, as a camera's does.
		shown := frame
		if live == nil && len(clip.Order) == len(clip.AccessUnits) {
			i := index % len(clip.AccessUnits)
			if i == 0 {
				loopStart = frame
			}
			shown = loopStart + clip.Order[i] - delay
		}
		ts := c.cfg.FirstTimestamp + uint32(int64(shown)*codec.VideoClockRate/int64(c.cfg.FPS))
		if c.frozenClock.Load() {
			ts = frozenTS
		} else {
			frozenTS = ts
		}
		var au [][]byte
		if live != nil {
			au = live.Picture(time.Now())
		} else {
			au = clip.AccessUnits[index%len(clip.AccessUnits)]
			index++
		}
		frame++
		if st == nil || c.stalled.Load() {
			continue
		}
		if c.garbage.Load() {
			for k := 0; k < 1+rng.IntN(8); k++ {
				payload := make([]byte, 50+rng.IntN(1350))
				for i := range payload {
					payload[i] = byte(rng.Uint32())
				}
				videoSeq++
				_ = st.WritePacketRTP(video, &rtp.Packet{
					Header:  rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: videoSeq, Timestamp: ts, Marker: k%3 == 0},
					Payload: payload,
				})
			}
			continue
		}
		if len(au) > 0 {
			if pkts, err := videoEnc(au); err == nil {
				for _, p := range pkts {
					p.Timestamp = ts
					videoSeq = p.SequenceNumber
					_ = st.WritePacketRTP(video, p)
				}
			}
		}
		if audio != nil {
			// One 40 ms packet of tone per video frame at 25 fps.
			n := 8000 / c.cfg.FPS
			_ = st.WritePacketRTP(audio, &rtp.Packet{
				Header:  rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(frame), Timestamp: audioTS},
				Payload: tone[:n],
			})
			audioTS += uint32(n)
		}
	}
}

func newPacketizer(hevc bool) func([][]byte) ([]*rtp.Packet, error) {
	if hevc {
		f := &format.H265{PayloadTyp: 96}
		e, _ := f.CreateEncoder()
		return e.Encode
	}
	f := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
	e, _ := f.CreateEncoder()
	return e.Encode
}

// ulawTone returns a second of a 1 kHz tone in G.711 µ-law.
func ulawTone() []byte {
	// One period of a 1 kHz sine at 8 kHz, pre-encoded.
	period := []byte{0xff, 0x9e, 0x8f, 0x9e, 0xff, 0x1e, 0x0f, 0x1e}
	out := make([]byte, 8000)
	for i := range out {
		out[i] = period[i%len(period)]
	}
	return out
}

// handler counts connections and sessions and serves the stream.
type handler Camera

func (h *handler) OnConnOpen(*gortsplib.ServerHandlerOnConnOpenCtx) {
	h.conns.Add(1)
	h.connsOpen.Add(1)
}

func (h *handler) OnConnClose(*gortsplib.ServerHandlerOnConnCloseCtx) { h.connsOpen.Add(-1) }

func (h *handler) OnSessionOpen(*gortsplib.ServerHandlerOnSessionOpenCtx) {
	h.sessions.Add(1)
	h.sessionsOpen.Add(1)
}

func (h *handler) OnSessionClose(*gortsplib.ServerHandlerOnSessionCloseCtx) { h.sessionsOpen.Add(-1) }

func (h *handler) current(path string) (*base.Response, *gortsplib.ServerStream, error) {
	if strings.Trim(path, "/") != h.cfg.Path {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, fmt.Errorf("no stream %q", path)
	}
	h.mu.Lock()
	st := h.stream
	h.mu.Unlock()
	if st == nil {
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, nil, errors.New("rebooting")
	}
	return &base.Response{StatusCode: base.StatusOK}, st, nil
}

func (h *handler) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return h.current(ctx.Path)
}

func (h *handler) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return h.current(ctx.Path)
}

func (h *handler) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	if h.rebooted.Swap(false) {
		h.restartFor.Store(ctx.Session)
	}
	return &base.Response{StatusCode: base.StatusOK}, nil
}
