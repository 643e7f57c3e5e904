package rtsp

import (
	"context"
	"math/rand/v2"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/pion/rtp"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/internal/clockhook"
	"github.com/camgate/camgate/stream"
)

// maxPacketSize is the largest RTP packet the server sends (gortsplib's
// default, what fits in a UDP datagram on Ethernet).
const maxPacketSize = 1472

// sessionWriter copies what a hub reader gets to one RTSP session. Each
// session numbers its own packets and takes its timestamps from the units'
// presentation times, which the hub keeps continuous across camera
// reconnects: a player sees one stream, however often the camera came back.
type sessionWriter struct {
	ss     *gortsplib.ServerSession
	tracks []trackWriter
}

// trackWriter is the RTP state of one track of a session.
type trackWriter struct {
	media  *description.Media
	format format.Format
	clock  int
	seq    uint16
	tsBase uint32
	pkt    rtp.Packet // the packet being sent: gortsplib sets its SSRC, so readers never share one
	enc    packetizer // for units that come without RTP packets; made on first use
}

type packetizer interface {
	Encode([][]byte) ([]*rtp.Packet, error)
}

func newSessionWriter(ss *gortsplib.ServerSession, p *servedPath) *sessionWriter {
	w := &sessionWriter{ss: ss, tracks: make([]trackWriter, len(p.medias))}
	setUp := map[*description.Media]bool{}
	for _, m := range ss.Medias() {
		setUp[m] = true
	}
	for i, m := range p.medias {
		if !setUp[m] {
			// A reader may set up only some tracks (many NVRs take the video
			// alone): gortsplib must never be asked to write the others.
			continue
		}
		t := &w.tracks[i]
		t.media, t.clock = m, p.clocks[i]
		if len(m.Formats) > 0 {
			t.format = m.Formats[0]
		}
		t.seq, t.tsBase = uint16(rand.Uint32()), rand.Uint32()
		if clockhook.RTPBase != nil {
			t.tsBase = clockhook.RTPBase()
		}
	}
	return w
}

// run sends until the reader ends (the session closed, the stream was
// unpublished or changed format) or ctx ends. When the stream ended, it
// closes the session, so that the player connects again.
func (w *sessionWriter) run(ctx context.Context, r *stream.Reader) {
	defer r.Close()
	for {
		u, err := r.Read(ctx)
		if err != nil {
			w.ss.Close()
			return
		}
		if err := w.write(&u); err != nil {
			// gortsplib's queue for this session is full (a slow network):
			// skip to the next keyframe rather than send a broken picture.
			r.Resync()
		}
	}
}

func (w *sessionWriter) write(u *stream.Unit) error {
	if u.Track < 0 || u.Track >= len(w.tracks) {
		return nil
	}
	t := &w.tracks[u.Track]
	if t.media == nil {
		return nil
	}
	ts := codec.RTPTimestamp(t.tsBase, u.PTS, t.clock)
	if pkts, ok := u.Native.([]*rtp.Packet); ok && fits(pkts) {
		for _, p := range pkts {
			if err := t.send(w.ss, p, ts); err != nil {
				return err
			}
		}
		return nil
	}
	if u.Kind != stream.Video {
		return nil
	}
	if t.enc == nil {
		enc, err := newPacketizer(t.format)
		if err != nil {
			return err
		}
		t.enc = enc
	}
	pkts, err := t.enc.Encode(u.Data)
	if err != nil {
		return err
	}
	for _, p := range pkts {
		if err := t.send(w.ss, p, ts); err != nil {
			return err
		}
	}
	return nil
}

// fits reports whether a camera's packets can be sent as they are; a camera
// that sends larger ones over TCP has its access units packetized again.
func fits(pkts []*rtp.Packet) bool {
	for _, p := range pkts {
		if p.MarshalSize() > maxPacketSize {
			return false
		}
	}
	return true
}

func (t *trackWriter) send(ss *gortsplib.ServerSession, p *rtp.Packet, ts uint32) error {
	t.pkt = *p
	t.pkt.SequenceNumber = t.seq
	t.pkt.Timestamp = ts
	t.seq++
	return ss.WritePacketRTP(t.media, &t.pkt)
}

func newPacketizer(f format.Format) (packetizer, error) {
	switch f := f.(type) {
	case *format.H264:
		e := &rtph264.Encoder{PayloadType: f.PayloadTyp, PacketizationMode: f.PacketizationMode}
		return e, e.Init()
	case *format.H265:
		e := &rtph265.Encoder{PayloadType: f.PayloadTyp}
		return e, e.Init()
	}
	return nil, errNoPacketizer
}

type rtspError string

func (e rtspError) Error() string { return string(e) }

const errNoPacketizer = rtspError("rtsp: no packetizer for this track")
