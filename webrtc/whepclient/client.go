// Package whepclient is a WHEP (RFC 9725) viewer built on pion: it plays a
// stream the way a browser does and counts what it receives. camgate's
// tests, load bench and soak harness read its WebRTC streams with it.
package whepclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/camgate/camgate/codec"
)

// Options are a viewer's settings.
type Options struct {
	// Header is added to every request (Authorization, …).
	Header http.Header
	// Audio offers an audio m-line too (Opus, PCMU, PCMA), as browsers do.
	Audio bool
	// H265 offers H.265 besides H.264, as Safari and Chrome 136+ do.
	H265 bool
	// HTTPClient, if not nil, sends the requests.
	HTTPClient *http.Client
}

// HTTPError is a POST that was not answered 201.
type HTTPError struct {
	Status int
	Body   string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("WHEP POST: %d: %s", e.Status, strings.TrimSpace(e.Body))
}

// Stats are what a viewer received so far.
type Stats struct {
	Frames        uint64        // video access units
	Keyframes     uint64        // of which keyframes
	Bytes         uint64        // RTP payload bytes, video and audio
	AudioPackets  uint64        // audio RTP packets
	Width, Height int           // from the last SPS, 0 before
	Codec         codec.Codec   // the video codec answered
	Connected     time.Duration // from Dial to ICE+DTLS connected, 0 before
	FirstFrame    time.Duration // from Dial to the first access unit, 0 before
}

// Client is one WHEP session.
type Client struct {
	pc       *webrtc.PeerConnection
	http     *http.Client
	header   http.Header
	location string
	answer   http.Header
	start    time.Time

	mu    sync.Mutex
	stats Stats

	wg     sync.WaitGroup
	done   chan struct{}
	once   sync.Once
	closed sync.Once
}

// Dial sends an offer to a WHEP endpoint (…/<path>/whep; a player URL
// …/<path>/ is taken as its endpoint) and returns once the answer is set.
// The media arrives afterwards; poll Stats.
func Dial(ctx context.Context, endpoint string, opts Options) (*Client, error) {
	if strings.HasSuffix(endpoint, "/") {
		endpoint += "whep"
	}
	c := &Client{http: opts.HTTPClient, header: opts.Header, start: time.Now(), done: make(chan struct{})}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	me := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	video := []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", RTCPFeedback: fb}, PayloadType: 102},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f", RTCPFeedback: fb}, PayloadType: 112},
	}
	if opts.H265 {
		video = append(video, webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH265, ClockRate: 90000, SDPFmtpLine: "level-id=93;profile-id=1;tier-flag=0;tx-mode=SRST", RTCPFeedback: fb}, PayloadType: 116})
	}
	for _, v := range video {
		if err := me.RegisterCodec(v, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
	}
	if opts.Audio {
		for _, a := range []webrtc.RTPCodecParameters{
			{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111},
			{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0},
			{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000}, PayloadType: 8},
		} {
			if err := me.RegisterCodec(a, webrtc.RTPCodecTypeAudio); err != nil {
				return nil, err
			}
		}
	}
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(me, ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{LoggerFactory: quietFactory{}}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	c.pc = pc
	fail := func(err error) (*Client, error) {
		c.shutdown()
		return nil, err
	}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return fail(err)
	}
	if opts.Audio {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return fail(err)
		}
	}
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			c.mu.Lock()
			if c.stats.Connected == 0 {
				c.stats.Connected = time.Since(c.start)
			}
			c.mu.Unlock()
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			c.once.Do(func() { close(c.done) })
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.readTrack(t)
		}()
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fail(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fail(err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		return fail(err)
	}
	c.setHeader(req)
	req.Header.Set("Content-Type", "application/sdp")
	res, err := c.http.Do(req)
	if err != nil {
		return fail(err)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	if err != nil {
		return fail(err)
	}
	if res.StatusCode != http.StatusCreated {
		return fail(&HTTPError{Status: res.StatusCode, Body: string(body)})
	}
	c.answer = res.Header
	if loc := res.Header.Get("Location"); loc != "" {
		base, _ := url.Parse(endpoint)
		if u, err := base.Parse(loc); err == nil {
			u.RawQuery = base.RawQuery
			c.location = u.String()
		}
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("setting the answer: %w", err)
	}
	return c, nil
}

func (c *Client) setHeader(req *http.Request) {
	for k, v := range c.header {
		req.Header[k] = v
	}
}

func (c *Client) readTrack(t *webrtc.TrackRemote) {
	mime := strings.ToLower(t.Codec().MimeType)
	var vc codec.Codec
	switch mime {
	case strings.ToLower(webrtc.MimeTypeH264):
		vc = codec.H264
	case strings.ToLower(webrtc.MimeTypeH265):
		vc = codec.H265
	}
	decode := newDecoder(vc)
	if vc != 0 {
		c.mu.Lock()
		c.stats.Codec = vc
		c.mu.Unlock()
	}
	var params codec.ParameterSets
	var jb jitterBuffer
	for {
		pkt, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		c.mu.Lock()
		c.stats.Bytes += uint64(len(pkt.Payload))
		if decode == nil {
			c.stats.AudioPackets++
		}
		c.mu.Unlock()
		if decode == nil {
			continue
		}
		// Packets go to the depacketizer in sequence order: a gap waits
		// for NACK's retransmission, and after jitterPackets packets it is
		// a loss, which drops the access unit it cut.
		for p, lost := jb.push(pkt); p != nil; p, lost = jb.pop() {
			if lost {
				decode = newDecoder(vc)
			}
			if au, err := decode(p); err == nil {
				c.count(vc, &params, au)
			}
		}
	}
}

// count counts a whole access unit.
func (c *Client) count(vc codec.Codec, params *codec.ParameterSets, au [][]byte) {
	key := codec.IsKeyframe(vc, au)
	c.mu.Lock()
	defer c.mu.Unlock()
	if key && params.Update(vc, au) {
		c.stats.Width, c.stats.Height = params.PictureSize(vc)
	}
	c.stats.Frames++
	if key {
		c.stats.Keyframes++
	}
	if c.stats.FirstFrame == 0 {
		c.stats.FirstFrame = time.Since(c.start)
	}
}

// jitterPackets is how many packets after a gap the jitter buffer waits for
// the missing one: as many as camgate keeps for NACKs (a retransmission comes
// within milliseconds on a LAN; a 1080p keyframe is about a hundred packets).
const jitterPackets = 256

// jitterBuffer puts a track's packets back in sequence order: retransmitted
// and reordered packets fill their gaps, and a gap still open after
// jitterPackets later packets is skipped as lost.
type jitterBuffer struct {
	started bool
	next    uint16                 // the sequence number the depacketizer gets next
	pending map[uint16]*rtp.Packet // arrived ahead of next
	lost    bool                   // a gap was skipped before the next pop
}

// push adds a packet and returns the first one ready (see pop).
func (b *jitterBuffer) push(p *rtp.Packet) (*rtp.Packet, bool) {
	if !b.started {
		b.started, b.next, b.pending = true, p.SequenceNumber, map[uint16]*rtp.Packet{}
	}
	if int16(p.SequenceNumber-b.next) < 0 {
		return nil, false // a duplicate, or too late
	}
	b.pending[p.SequenceNumber] = p
	if len(b.pending) > jitterPackets {
		// The gap at next is a loss: go on from the oldest packet held.
		oldest := p.SequenceNumber
		for seq := range b.pending {
			if int16(seq-oldest) < 0 {
				oldest = seq
			}
		}
		b.next, b.lost = oldest, true
	}
	return b.pop()
}

// pop returns the next packet in sequence, if it has arrived, and whether
// packets before it were lost.
func (b *jitterBuffer) pop() (*rtp.Packet, bool) {
	p := b.pending[b.next]
	if p == nil {
		return nil, false
	}
	delete(b.pending, b.next)
	b.next++
	lost := b.lost
	b.lost = false
	return p, lost
}

// newDecoder returns a depacketizer of access units, nil for audio.
func newDecoder(c codec.Codec) func(*rtp.Packet) ([][]byte, error) {
	switch c {
	case codec.H264:
		d := &rtph264.Decoder{PacketizationMode: 1}
		_ = d.Init()
		return d.Decode
	case codec.H265:
		d := &rtph265.Decoder{}
		_ = d.Init()
		return d.Decode
	}
	return nil
}

// Stats returns what the viewer received so far.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Location is the session's URL (for PATCH and DELETE).
func (c *Client) Location() string { return c.location }

// AnswerHeader is the header of the POST's answer.
func (c *Client) AnswerHeader() http.Header { return c.answer }

// Done is closed when the connection failed or was closed (the server
// ended the session).
func (c *Client) Done() <-chan struct{} { return c.done }

// Close sends DELETE for the session, closes the connection and waits for
// the client's goroutines. It is safe to call more than once.
func (c *Client) Close() error {
	var err error
	c.closed.Do(func() {
		if c.location != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, c.location, nil)
			c.setHeader(req)
			res, e := c.http.Do(req)
			if e == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					e = fmt.Errorf("WHEP DELETE: %d", res.StatusCode)
				}
			}
			cancel()
			err = e
		}
		c.shutdown()
	})
	return err
}

// Abandon closes the connection without DELETE, as a browser tab that is
// killed does; the server must reap the session by itself.
func (c *Client) Abandon() {
	c.closed.Do(c.shutdown)
}

func (c *Client) shutdown() {
	if c.pc != nil {
		_ = c.pc.GracefulClose()
	}
	c.wg.Wait()
	c.once.Do(func() { close(c.done) })
}

type quiet struct{}

func (quiet) Trace(string)          {}
func (quiet) Tracef(string, ...any) {}
func (quiet) Debug(string)          {}
func (quiet) Debugf(string, ...any) {}
func (quiet) Info(string)           {}
func (quiet) Infof(string, ...any)  {}
func (quiet) Warn(string)           {}
func (quiet) Warnf(string, ...any)  {}
func (quiet) Error(string)          {}
func (quiet) Errorf(string, ...any) {}

type quietFactory struct{}

func (quietFactory) NewLogger(string) logging.LeveledLogger { return quiet{} }
