package webrtc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/stream"
)

// maxPacketSize is the largest RTP packet a session sends: what passes any
// path's MTU once DTLS/SRTP, UDP, IP and a VPN's headers are added (the
// size browsers use themselves).
const maxPacketSize = 1200

// audioNoAAC is the X-Camgate-Audio header of a session whose stream's
// audio is AAC.
const audioNoAAC = "none (AAC cannot be carried by WebRTC; use HLS for audio)"

// plan is what a session sends, chosen from the stream and the offer.
type plan struct {
	videoCodec codec.Codec
	video      offeredCodec
	videoTrack int

	audio      *offeredCodec
	audioTrack int
	audioMime  string

	audioNote string // X-Camgate-Audio, when the stream's audio is not sent
}

// planSession chooses the codecs of a session. Its errors are the 400's text.
func planSession(path string, d *stream.Description, o *offer) (*plan, error) {
	p := &plan{videoCodec: d.Video.Codec, videoTrack: d.VideoTrack}
	switch d.Video.Codec {
	case codec.H264:
		c, ok := chooseH264(o.video, d.Video.ParameterSets.SPS)
		if !ok {
			return nil, fmt.Errorf("stream %q is H.264, and the offer has no H.264 with packetization-mode=1 to receive it", path)
		}
		p.video = c
	case codec.H265:
		profile := 1
		var sps h265.SPS
		if len(d.Video.ParameterSets.SPS) > 0 && sps.Unmarshal(d.Video.ParameterSets.SPS) == nil {
			profile = int(sps.ProfileTierLevel.GeneralProfileIdc)
		}
		c, ok := chooseH265(o.video, profile)
		if !ok {
			return nil, fmt.Errorf("stream %q is H.265, which this browser cannot receive over WebRTC (Safari and Chrome 136+ can); %s", path, h264Hint(path))
		}
		p.video = c
	default:
		return nil, fmt.Errorf("stream %q is %s, which WebRTC cannot carry", path, d.Video.Codec)
	}
	for i, t := range d.Tracks {
		if t.Kind != stream.Audio {
			continue
		}
		var mimeType string
		switch strings.ToUpper(t.Codec) {
		case "PCMU":
			mimeType = webrtc.MimeTypePCMU
		case "PCMA":
			mimeType = webrtc.MimeTypePCMA
		case "OPUS":
			mimeType = webrtc.MimeTypeOpus
		case "MPEG4-AUDIO", "AAC":
			p.audioNote = audioNoAAC
			continue
		default:
			p.audioNote = "none (" + t.Codec + " cannot be carried by WebRTC)"
			continue
		}
		if c, ok := chooseAudio(o.audio, t.Codec, t.ClockRate); ok {
			p.audio, p.audioTrack, p.audioMime, p.audioNote = &c, i, mimeType, ""
			break
		}
	}
	return p, nil
}

// h264Hint names the stream that plays where an H.265 one does not.
func h264Hint(path string) string {
	if cam, ok := strings.CutSuffix(path, "/main"); ok && cam != "" {
		return fmt.Sprintf("use %s/sub, which is H.264", cam)
	}
	return "use a sub stream, which is H.264"
}

// session is one WHEP viewer: a PeerConnection and the goroutine that
// copies a hub reader's units to its tracks.
type session struct {
	srv  *Server
	id   string
	path string
	st   *stream.Stream
	plan *plan

	pc    *webrtc.PeerConnection
	video *webrtc.TrackLocalStaticRTP
	audio *webrtc.TrackLocalStaticRTP

	ctx    context.Context
	cancel context.CancelCauseFunc

	connected chan struct{}
	connOnce  sync.Once
	connAt    atomic.Int64 // unix nanoseconds when ICE+DTLS connected

	timerMu sync.Mutex
	timer   *time.Timer

	pli    atomic.Bool // the viewer asked for a keyframe
	rtcpWG sync.WaitGroup

	finishOnce sync.Once
	done       chan struct{}
}

var (
	errNeverConnected = errors.New("ICE did not connect within the session timeout")
	errDisconnected   = errors.New("ICE disconnected for longer than the session timeout")
	errICEFailed      = errors.New("ICE failed")
	errPeerClosed     = errors.New("peer connection closed")
)

func newSession(srv *Server, id string, st *stream.Stream, p *plan) *session {
	s := &session{srv: srv, id: id, path: st.Path(), st: st, plan: p, connected: make(chan struct{}), done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	return s
}

func rtcpFeedback() []webrtc.RTCPFeedback {
	return []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}
}

// start answers the offer, once ICE gathering is complete.
func (s *session) start(ctx context.Context, offerSDP string) (string, error) {
	me := &webrtc.MediaEngine{}
	vc := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: s.plan.video.fmtp, RTCPFeedback: rtcpFeedback()}
	if s.plan.videoCodec == codec.H265 {
		vc.MimeType = webrtc.MimeTypeH265
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: vc, PayloadType: webrtc.PayloadType(s.plan.video.pt)}, webrtc.RTPCodecTypeVideo); err != nil {
		return "", fmt.Errorf("registering the video codec: %w", err)
	}
	var ac webrtc.RTPCodecCapability
	if a := s.plan.audio; a != nil {
		ac = webrtc.RTPCodecCapability{MimeType: s.plan.audioMime, ClockRate: uint32(a.clock), Channels: uint16(a.channels), SDPFmtpLine: a.fmtp}
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: ac, PayloadType: webrtc.PayloadType(a.pt)}, webrtc.RTPCodecTypeAudio); err != nil {
			return "", fmt.Errorf("registering the audio codec: %w", err)
		}
	}
	// NACKs are answered from the last 256 packets sent (about 4 s of a
	// sub, a few frames of a 1080p main: far more than a LAN's round
	// trip). pion's default keeps 1024, which cost 1.7 MB of heap per
	// viewer (bench/viewers: 3.9 MB RSS per viewer of a grid). No NACK
	// generator: camgate receives no media.
	ir := &interceptor.Registry{}
	responder, err := nack.NewResponderInterceptor(nack.ResponderSize(256))
	if err != nil {
		return "", err
	}
	ir.Add(responder)
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeVideo)
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack", Parameter: "pli"}, webrtc.RTPCodecTypeVideo)
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return "", err
	}
	api := webrtc.NewAPI(webrtc.WithSettingEngine(s.srv.settings), webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir))
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: s.srv.iceServers})
	if err != nil {
		return "", fmt.Errorf("creating the peer connection: %w", err)
	}
	s.pc = pc
	pc.OnConnectionStateChange(s.onState)

	if s.video, err = webrtc.NewTrackLocalStaticRTP(vc, "video", "camgate"); err != nil {
		return "", err
	}
	if err := s.addTrack(s.video); err != nil {
		return "", err
	}
	if s.plan.audio != nil {
		if s.audio, err = webrtc.NewTrackLocalStaticRTP(ac, "audio", "camgate"); err != nil {
			return "", err
		}
		if err := s.addTrack(s.audio); err != nil {
			return "", err
		}
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offerSDP}); err != nil {
		return "", fmt.Errorf("invalid SDP offer: %w", err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("cannot answer the offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("cannot answer the offer: %w", err)
	}
	s.armTimer(errNeverConnected)
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", fmt.Errorf("ICE gathering did not complete: %w", ctx.Err())
	}
	return pc.LocalDescription().SDP, nil
}

// addTrack adds a track and reads its sender's RTCP (the NACK responder
// and the sender reports need it to be read; a PLI asks for a keyframe).
func (s *session) addTrack(t *webrtc.TrackLocalStaticRTP) error {
	sender, err := s.pc.AddTrack(t)
	if err != nil {
		return fmt.Errorf("adding the %s track: %w", t.Kind(), err)
	}
	s.rtcpWG.Add(1)
	go func() {
		defer s.rtcpWG.Done()
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				switch p.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					s.pli.Store(true)
				}
			}
		}
	}()
	return nil
}

func (s *session) onState(st webrtc.PeerConnectionState) {
	switch st {
	case webrtc.PeerConnectionStateConnected:
		s.stopTimer()
		s.connOnce.Do(func() {
			s.connAt.Store(time.Now().UnixNano())
			close(s.connected)
		})
	case webrtc.PeerConnectionStateDisconnected:
		s.armTimer(errDisconnected)
	case webrtc.PeerConnectionStateFailed:
		s.end(errICEFailed)
	case webrtc.PeerConnectionStateClosed:
		s.end(errPeerClosed)
	}
}

// armTimer ends the session with cause unless ICE connects within the
// session timeout.
func (s *session) armTimer(cause error) {
	s.timerMu.Lock()
	defer s.timerMu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timer = time.AfterFunc(s.srv.cfg.SessionTimeout, func() { s.end(cause) })
}

func (s *session) stopTimer() {
	s.timerMu.Lock()
	defer s.timerMu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

// end makes the session's goroutine stop; finish frees it.
func (s *session) end(cause error) { s.cancel(cause) }

// finish frees everything the session holds and removes it from the
// server. It runs once, on the session's goroutine or, for a session that
// never started, on its POST's.
func (s *session) finish() {
	s.finishOnce.Do(func() {
		s.cancel(errPeerClosed)
		s.stopTimer()
		if s.pc != nil {
			_ = s.pc.GracefulClose()
		}
		s.rtcpWG.Wait()
		s.stopTimer() // a state change during the close may have armed it
		s.srv.mu.Lock()
		if s.srv.sessions[s.id] == s {
			delete(s.srv.sessions, s.id)
		}
		s.srv.mu.Unlock()
		close(s.done)
	})
}

func (s *session) addCandidates(frag string) error {
	n := 0
	for _, line := range strings.Split(frag, "\n") {
		line = strings.TrimSpace(line)
		c, ok := strings.CutPrefix(line, "a=candidate:")
		if !ok {
			continue
		}
		if err := s.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: "candidate:" + c}); err != nil {
			return fmt.Errorf("invalid ICE candidate %q: %w", line, err)
		}
		n++
	}
	return nil
}

// run waits for the connection, then sends what a hub reader gets until
// the reader or the session ends.
func (s *session) run() {
	defer s.srv.wg.Done()
	defer s.finish()
	log := s.srv.log.With().Str("path", s.path).Str("session", s.id).Logger()
	select {
	case <-s.connected:
	case <-s.ctx.Done():
		log.Debug().Err(context.Cause(s.ctx)).Msg("webrtc: session ended before it connected")
		return
	}
	r, err := s.st.AddReader()
	if err != nil {
		log.Debug().Err(err).Msg("webrtc: session ended: no reader")
		return
	}
	defer func() { r.Close() }()
	log.Debug().Msg("webrtc: session connected")

	w := newWriter(s)
	lastPLI := time.Time{}
	for {
		if s.pli.Load() && time.Since(lastPLI) > time.Second {
			// A viewer that lost a picture asks for a keyframe. A new
			// reader starts at the next one, and joining forces an IDR on
			// camgate's own encoders.
			s.pli.Store(false)
			lastPLI = time.Now()
			if nr, err := s.st.AddReader(); err == nil {
				r.Close()
				r = nr
			}
		}
		u, err := r.Read(s.ctx)
		if err != nil {
			cause := err
			if s.ctx.Err() != nil {
				cause = context.Cause(s.ctx)
			}
			log.Debug().Err(cause).Msg("webrtc: session ended")
			return
		}
		w.write(&u)
	}
}

// writer turns units into the session's RTP packets. Each track numbers
// its own packets and takes its timestamps from the units' presentation
// times, which the hub keeps continuous across camera reconnects.
type writer struct {
	s        *session
	h264     *rtph264.Encoder
	h265     *rtph265.Encoder
	vSeq     uint16
	vBase    uint32
	aSeq     uint16
	aBase    uint32
	aClock   int
	nalus    [][]byte
	pkt      rtp.Packet
	firstKey bool
}

func newWriter(s *session) *writer {
	w := &writer{s: s, vSeq: uint16(rand.Uint32()), vBase: rand.Uint32(), aSeq: uint16(rand.Uint32()), aBase: rand.Uint32()}
	// The encoders' own sequence numbers and SSRC are replaced below and
	// by pion; their errors happen only for a wrong packetization mode.
	if s.plan.videoCodec == codec.H265 {
		w.h265 = &rtph265.Encoder{PayloadType: s.plan.video.pt, PayloadMaxSize: maxPacketSize - 12}
		_ = w.h265.Init()
	} else {
		w.h264 = &rtph264.Encoder{PayloadType: s.plan.video.pt, PayloadMaxSize: maxPacketSize - 12, PacketizationMode: 1}
		_ = w.h264.Init()
	}
	if a := s.plan.audio; a != nil {
		w.aClock = a.clock
	}
	return w
}

func (w *writer) write(u *stream.Unit) {
	switch {
	case u.Kind == stream.Video && u.Track == w.s.plan.videoTrack:
		w.writeVideo(u)
	case u.Kind == stream.Audio && w.s.audio != nil && u.Track == w.s.plan.audioTrack:
		w.writeAudio(u)
	}
}

func (w *writer) writeVideo(u *stream.Unit) {
	c := w.s.plan.videoCodec
	nalus := w.nalus[:0]
	if u.Keyframe && !hasParameterSets(c, u.Data) {
		// Browsers' decoders need them in band: a camera that sends them
		// only in its SDP gets them here, from the hub's description.
		if d, _, ok := w.s.st.Description(); ok {
			nalus = append(nalus, d.Video.ParameterSets.List()...)
		}
	}
	for _, n := range u.Data {
		if len(n) > 0 {
			nalus = append(nalus, n)
		}
	}
	w.nalus = nalus
	if len(nalus) == 0 {
		return
	}
	var pkts []*rtp.Packet
	var err error
	if w.h265 != nil {
		pkts, err = w.h265.Encode(nalus)
	} else {
		pkts, err = w.h264.Encode(nalus)
	}
	if err != nil {
		return
	}
	ts := codec.RTPTimestamp(w.vBase, u.PTS, codec.VideoClockRate)
	for _, p := range pkts {
		p.SequenceNumber = w.vSeq
		p.Timestamp = ts
		w.vSeq++
		_ = w.s.video.WriteRTP(p)
	}
}

func hasParameterSets(c codec.Codec, au [][]byte) bool {
	for _, n := range au {
		if len(n) > 0 && codec.IsParameterSetType(c, naluType(c, n)) {
			return true
		}
	}
	return false
}

func naluType(c codec.Codec, n []byte) int {
	if c == codec.H265 {
		return int(codec.H265Type(n))
	}
	return int(codec.H264Type(n))
}

func (w *writer) writeAudio(u *stream.Unit) {
	ts := codec.RTPTimestamp(w.aBase, u.PTS, w.aClock)
	send := func(payload []byte) {
		w.pkt = rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: w.s.plan.audio.pt, SequenceNumber: w.aSeq, Timestamp: ts}, Payload: payload}
		w.aSeq++
		_ = w.s.audio.WriteRTP(&w.pkt)
	}
	if len(u.Data) > 0 && len(u.Data[0]) > 0 {
		send(u.Data[0])
		return
	}
	if pkts, ok := u.Native.([]*rtp.Packet); ok {
		for _, p := range pkts {
			send(p.Payload)
		}
	}
}
