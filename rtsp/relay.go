package rtsp

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
)

// Relay republishes a camera's RTP packets unchanged but for their sequence
// numbers and timestamps, which it rewrites so that readers see one continuous
// stream across camera reconnects. It keeps its readers through a reconnect and
// replaces its stream (dropping them) only when the camera's codec parameters
// really changed.
type Relay struct {
	srv *Server
	pub *publication

	mu     sync.RWMutex
	sig    string
	desc   *description.Session
	medias []*relayMedia
	video  format.Format
}

// relayMedia is the rewriting state of one media.
type relayMedia struct {
	media *description.Media
	clock int
	video Codec // 0 for media other than the relayed video

	mu       sync.Mutex
	started  bool // a packet has been sent
	rebase   bool // the next packet starts a new camera session
	seqOff   uint16
	tsOff    uint32
	lastSeq  uint16
	lastTS   uint32
	lastWall time.Time
}

// PublishRelay publishes a passthrough path. It serves readers from the first
// Attach on; until then it answers 503.
func (s *Server) PublishRelay(path string) (*Relay, error) {
	p, err := s.publish(path, nil)
	if err != nil {
		return nil, err
	}
	return &Relay{srv: s, pub: p}, nil
}

// Attach prepares the relay for a new camera session. It reports whether the
// stream was (re)created, which disconnects existing readers.
func (r *Relay) Attach(info SessionInfo) (recreated bool, err error) {
	sig := signature(info.desc)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.desc != nil && sig == r.sig {
		for _, m := range r.medias {
			m.mu.Lock()
			m.rebase = true
			m.mu.Unlock()
		}
		return false, nil
	}
	desc := &description.Session{Title: "camgate"}
	medias := make([]*relayMedia, len(info.desc.Medias))
	var video format.Format
	for i, m := range info.desc.Medias {
		out := &description.Media{Type: m.Type, Formats: m.Formats}
		desc.Medias = append(desc.Medias, out)
		clock := 90000
		if len(m.Formats) > 0 {
			clock = m.Formats[0].ClockRate()
		}
		medias[i] = &relayMedia{media: out, clock: clock}
		for _, f := range m.Formats {
			if video != nil {
				break
			}
			switch f.(type) {
			case *format.H264:
				video, medias[i].video = f, H264
			case *format.H265:
				video, medias[i].video = f, H265
			}
		}
	}
	st := &gortsplib.ServerStream{Server: r.srv.srv, Desc: desc}
	if err := st.Initialize(); err != nil {
		return false, fmt.Errorf("relay %s: %w", r.pub.path, err)
	}
	r.pub.setStream(st)
	r.sig, r.desc, r.medias, r.video = sig, desc, medias, video
	return true, nil
}

// Write relays one packet.
func (r *Relay) Write(p Packet) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if p.media < 0 || p.media >= len(r.medias) {
		return
	}
	m := r.medias[p.media]
	out := *p.pkt
	now := time.Now()
	m.mu.Lock()
	if !m.started || m.rebase {
		if m.started {
			// Continue where the previous session stopped, with the real gap.
			gap := now.Sub(m.lastWall)
			m.tsOff = m.lastTS + uint32(gap.Seconds()*float64(m.clock)) + 1 - out.Timestamp
			m.seqOff = m.lastSeq + 1 - out.SequenceNumber
		}
		m.started, m.rebase = true, false
	}
	out.SequenceNumber += m.seqOff
	out.Timestamp += m.tsOff
	m.lastSeq, m.lastTS, m.lastWall = out.SequenceNumber, out.Timestamp, now
	m.mu.Unlock()
	r.pub.write(m.media, &out, m.video != 0, m.video != 0 && startsKeyframe(out.Payload, m.video == H265))
}

// TrackParameterSets records SPS/PPS (and VPS) sent in band, so that readers
// who join later get the current ones in the SDP.
func (r *Relay) TrackParameterSets(au [][]byte) {
	r.mu.RLock()
	video := r.video
	r.mu.RUnlock()
	if video != nil && updateParameterSets(video, au) {
		if st := r.pub.current(); st != nil {
			st.ReloadDesc()
		}
	}
}

// Stats returns the relay's counters.
func (r *Relay) Stats() StreamStats { return r.pub.stats() }

// Close unpublishes the path and disconnects its readers.
func (r *Relay) Close() error {
	r.srv.unpublish(r.pub)
	return nil
}

// signature identifies what a reader's decoder depends on: for each media
// its type and, per format, payload type, codec, clock rate and parameters.
func signature(desc *description.Session) string {
	var b strings.Builder
	for _, m := range desc.Medias {
		fmt.Fprintf(&b, "%s[", m.Type)
		for _, f := range m.Formats {
			fmt.Fprintf(&b, "%d %s/%d", f.PayloadType(), f.Codec(), f.ClockRate())
			fmtp := f.FMTP()
			keys := make([]string, 0, len(fmtp))
			for k := range fmtp {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(&b, " %s=%s", k, fmtp[k])
			}
			b.WriteString(";")
		}
		b.WriteString("]")
	}
	return b.String()
}
