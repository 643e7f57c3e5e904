package rtsp

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpmpeg4audio"
	"github.com/pion/rtp"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/stream"
)

// sourceSession turns one camera session's RTP packets into hub units: video
// packets are gathered into access units (which carry their packets, so that
// RTSP readers get them unchanged), audio and data packets pass one by one.
type sourceSession struct {
	src    *Source
	h      SourceHandler
	medias []*description.Media // the tracks played, back channels left out
	track  map[*description.Media]int
	kinds  []stream.Kind

	video       *description.Media
	videoFormat format.Format
	codec       codec.Codec
	depacketize func(*rtp.Packet) ([][]byte, error)
	pending     []*rtp.Packet // packets of the access unit being gathered

	// aac depacketizes the MPEG-4 audio tracks (RFC 3640), by track: their
	// units carry AAC access units, which readers of other protocols than
	// RTSP (HLS) mux as they are.
	aac map[int]*rtpmpeg4audio.Decoder
}

func newSourceSession(src *Source, desc *description.Session, h SourceHandler) (*sourceSession, SessionInfo, error) {
	ss := &sourceSession{src: src, h: h, track: map[*description.Media]int{}, aac: map[int]*rtpmpeg4audio.Decoder{}}
	played := &description.Session{Title: desc.Title}
	var names []string
	var d stream.Description
	for _, m := range desc.Medias {
		if m.IsBackChannel {
			continue
		}
		i := len(ss.medias)
		ss.medias = append(ss.medias, m)
		played.Medias = append(played.Medias, m)
		ss.track[m] = i
		kind, name, clock := stream.Data, "", 0
		if len(m.Formats) > 0 {
			name, clock = m.Formats[0].Codec(), m.Formats[0].ClockRate()
		}
		if m.Type == description.MediaTypeAudio {
			kind = stream.Audio
		}
		for _, f := range m.Formats {
			names = append(names, fmt.Sprintf("%s/%d", f.Codec(), f.ClockRate()))
			if ss.video == nil && ss.useVideo(m, f) {
				kind, name, clock = stream.Video, f.Codec(), f.ClockRate()
				d.VideoTrack = i
			}
		}
		ss.kinds = append(ss.kinds, kind)
		t := stream.Track{Kind: kind, Codec: name, ClockRate: clock}
		if kind == stream.Audio && len(m.Formats) > 0 {
			t.Config = ss.useAAC(i, m.Formats[0])
		}
		d.Tracks = append(d.Tracks, t)
	}
	// The names come from the camera's SDP: escaped and capped for logs.
	info := SessionInfo{Medias: CameraText(strings.Join(names, " + "), MaxCameraText)}
	if ss.video == nil {
		return nil, info, fmt.Errorf("describe: no H.264 or H.265 video in the camera's stream (it offers %s)", info.Medias)
	}
	// Only the video track's first format is played: the tracks of the
	// description are the medias, and their first formats.
	info.Codec = ss.codec
	info.ParameterSets = sdpParameterSets(ss.videoFormat)
	d.Video = stream.VideoFormat{Codec: ss.codec, ParameterSets: info.ParameterSets}
	d.Video.Width, d.Video.Height = info.ParameterSets.PictureSize(ss.codec)
	d.Native = played
	d.Key = signature(played)
	info.Description = d
	return ss, info, nil
}

// useVideo makes f, of media m, the video camgate decodes and relays if it is
// H.264 or H.265.
func (ss *sourceSession) useVideo(m *description.Media, f format.Format) bool {
	switch f := f.(type) {
	case *format.H264:
		d, err := f.CreateDecoder()
		if err != nil {
			return false
		}
		ss.codec, ss.depacketize = codec.H264, d.Decode
	case *format.H265:
		d, err := f.CreateDecoder()
		if err != nil {
			return false
		}
		ss.codec, ss.depacketize = codec.H265, d.Decode
	default:
		return false
	}
	ss.video, ss.videoFormat = m, f
	return true
}

// useAAC sets up the depacketizer of an MPEG-4 audio track (AAC in RFC
// 3640's AU headers) and returns its AudioSpecificConfig, or nil for any
// other format or one that cannot be depacketized (its units then carry
// the RTP payloads, as other audio tracks' do).
func (ss *sourceSession) useAAC(track int, f format.Format) []byte {
	a, ok := f.(*format.MPEG4Audio)
	if !ok || a.Config == nil {
		return nil
	}
	conf, err := a.Config.Marshal()
	if err != nil {
		return nil
	}
	dec, err := a.CreateDecoder()
	if err != nil {
		return nil
	}
	ss.aac[track] = dec
	return conf
}

func sdpParameterSets(f format.Format) codec.ParameterSets {
	switch f := f.(type) {
	case *format.H264:
		sps, pps := f.SafeParams()
		return codec.ParameterSets{SPS: sps, PPS: pps}
	case *format.H265:
		vps, sps, pps := f.SafeParams()
		return codec.ParameterSets{VPS: vps, SPS: sps, PPS: pps}
	}
	return codec.ParameterSets{}
}

// onPacket handles one RTP packet; pts is its presentation time in the
// format's clock, when known.
func (ss *sourceSession) onPacket(m *description.Media, f format.Format, pkt *rtp.Packet, pts int64, ptsOK bool) {
	track, ok := ss.track[m]
	if !ok {
		return
	}
	if m != ss.video {
		data := [][]byte{pkt.Payload}
		if dec := ss.aac[track]; dec != nil && f == m.Formats[0] {
			// The access units this packet completes: none while an AU
			// fragmented over several packets is gathered, or when the
			// packet is broken. RTSP readers still get the packet as it is.
			aus, err := dec.Decode(pkt)
			if err != nil && !errors.Is(err, rtpmpeg4audio.ErrMorePacketsNeeded) {
				ss.src.decodeErrors.Add(1)
			}
			data = aus
		}
		if ptsOK {
			// An AAC unit's PTS is its first access unit's; each next one
			// is 1024 samples later.
			ss.h.OnUnit(stream.Unit{
				Track: track, Kind: ss.kinds[track], PTS: codec.Duration(pts, f.ClockRate()),
				Data: data, Native: []*rtp.Packet{pkt},
			})
		}
		return
	}
	if f != ss.videoFormat {
		return
	}
	ss.pending = append(ss.pending, pkt)
	nalus, err := ss.depacketize(pkt)
	if err != nil {
		if !errors.Is(err, rtph264.ErrMorePacketsNeeded) && !errors.Is(err, rtph265.ErrMorePacketsNeeded) {
			ss.pending = nil // a broken access unit: start again with the next one
			if !errors.Is(err, rtph264.ErrNonStartingPacketAndNoPrevious) && !errors.Is(err, rtph265.ErrNonStartingPacketAndNoPrevious) {
				ss.src.decodeErrors.Add(1)
			}
		}
		return
	}
	pkts := ss.pending
	// The unit keeps these packets: gather the next ones in a new slice,
	// sized like this one so that it grows no more.
	ss.pending = make([]*rtp.Packet, 0, cap(pkts))
	// The PTS is known from the first keyframe on; until then access units
	// are dropped, as no decoder could use them anyway.
	if !ptsOK {
		return
	}
	ss.src.accessUnits.Add(1)
	ss.src.lastVideo.Store(time.Now().UnixNano())
	ss.h.OnUnit(stream.Unit{
		Track: ss.track[m], Kind: stream.Video,
		PTS:      codec.Duration(pts, f.ClockRate()),
		Keyframe: codec.IsKeyframe(ss.codec, nalus),
		Data:     nalus, Native: pkts,
	})
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
