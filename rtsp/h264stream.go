package rtsp

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"

	"github.com/camgate/camgate/internal/annexb"
)

// H264Stream publishes H.264 access units that camgate encodes itself. Its
// parameters are fixed, so it is published once and stays up for as long as
// its owner wants: readers are never disconnected by a camera's reboot.
type H264Stream struct {
	srv    *Server
	pub    *publication
	media  *description.Media
	format *format.H264
	stream *gortsplib.ServerStream

	mu     sync.Mutex
	enc    *rtph264.Encoder
	tsBase uint32
}

// PublishH264 publishes an H.264 path. paramSets, the encoder's SPS and PPS
// if known, go into the SDP (sprop-parameter-sets, profile-level-id): NVRs
// and players built on live555 set up their decoder from them before the
// first picture. onReader, if not nil, is called (on its own goroutine)
// shortly after each reader's PLAY, so that the encoder can send a keyframe
// at once instead of at the end of its GOP.
func (s *Server) PublishH264(path string, paramSets [][]byte, onReader func()) (*H264Stream, error) {
	p, err := s.publish(path, onReader)
	if err != nil {
		return nil, err
	}
	f := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
	updateParameterSets(f, paramSets)
	m := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
	st := &gortsplib.ServerStream{Server: s.srv, Desc: &description.Session{Title: "camgate", Medias: []*description.Media{m}}}
	if err := st.Initialize(); err != nil {
		s.unpublish(p)
		return nil, fmt.Errorf("publish %s: %w", path, err)
	}
	enc, err := f.CreateEncoder()
	if err != nil {
		st.Close()
		s.unpublish(p)
		return nil, fmt.Errorf("publish %s: %w", path, err)
	}
	p.setStream(st)
	return &H264Stream{srv: s, pub: p, media: m, format: f, stream: st, enc: enc, tsBase: rand.Uint32()}, nil
}

// WriteAccessUnit sends one access unit (NAL units without start codes) with
// its presentation time, which must not go backwards.
func (h *H264Stream) WriteAccessUnit(nalus [][]byte, pts time.Duration) error {
	h.trackParameterSets(nalus)
	if !h.HasReaders() {
		return nil // nobody to packetize for
	}
	h.mu.Lock()
	pkts, err := h.enc.Encode(nalus)
	h.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: packetize: %w", h.pub.path, err)
	}
	ts := h.tsBase + uint32(int64(pts)*90000/int64(time.Second))
	key := annexb.IsKeyframe(nalus, false)
	for i, pkt := range pkts {
		pkt.Timestamp = ts
		h.pub.write(h.media, pkt, true, key && i == 0)
	}
	return nil
}

// trackParameterSets puts the encoder's SPS/PPS into the SDP once known, for
// players that want them there.
func (h *H264Stream) trackParameterSets(nalus [][]byte) {
	if updateParameterSets(h.format, nalus) {
		h.stream.ReloadDesc()
	}
}

// HasReaders reports whether anyone is playing the stream; an encoder can
// rest while nobody is.
func (h *H264Stream) HasReaders() bool {
	h.pub.mu.RLock()
	defer h.pub.mu.RUnlock()
	return len(h.pub.readers) > 0
}

// Stats returns the stream's counters.
func (h *H264Stream) Stats() StreamStats { return h.pub.stats() }

// Close unpublishes the path and disconnects its readers.
func (h *H264Stream) Close() error {
	h.srv.unpublish(h.pub)
	return nil
}
