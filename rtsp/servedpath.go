package rtsp

import (
	"errors"
	"fmt"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/stream"
)

// servedPath is a hub stream as RTSP serves it: a gortsplib ServerStream,
// whose SDP answers DESCRIBE and SETUP, made from the stream's description.
// It is made again when the hub's stream is replaced or changes format, and
// updated in place when only its parameter sets change.
type servedPath struct {
	src     *stream.Stream
	key     string
	version uint64
	st      *gortsplib.ServerStream
	medias  []*description.Media // by track of the description
	clocks  []int                // by track
	video   format.Format        // camgate's own copy, whose parameter sets it updates
}

var errNoPath = errors.New("no stream on this path")

// served returns the servedPath of the hub's stream at path, made or
// brought up to date.
func (s *Server) served(path string) (*servedPath, error) {
	src := s.hub.Stream(path)
	if src == nil {
		return nil, fmt.Errorf("%w: %q", errNoPath, path)
	}
	desc, version, ok := src.Description()
	if !ok {
		return nil, fmt.Errorf("stream %q is not ready: its camera has not connected yet", src.Path())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgetUnpublishedLocked()
	p := s.paths[src.Path()]
	if p != nil && p.src == src && p.key == desc.Key {
		if p.version != version {
			p.update(desc, version)
		}
		return p, nil
	}
	np, err := newServedPath(s.srv, src, desc, version)
	if err != nil {
		return nil, fmt.Errorf("rtsp: %s: %w", src.Path(), err)
	}
	if p != nil {
		p.close()
	}
	s.paths[src.Path()] = np
	return np, nil
}

// forgetUnpublishedLocked closes the ServerStreams of paths the hub no longer
// has, so that a gateway that adds and removes cameras for years keeps none.
func (s *Server) forgetUnpublishedLocked() {
	for path, p := range s.paths {
		if s.hub.Stream(path) != p.src {
			p.close()
			delete(s.paths, path)
		}
	}
}

func newServedPath(srv *gortsplib.Server, src *stream.Stream, desc stream.Description, version uint64) (*servedPath, error) {
	p := &servedPath{src: src, key: desc.Key, version: version}
	if native, ok := desc.Native.(*description.Session); ok {
		// A camera's session, relayed: its own tracks and formats, so that
		// players get exactly what the camera sends.
		for i, m := range native.Medias {
			out := &description.Media{Type: m.Type, Formats: m.Formats}
			if i == desc.VideoTrack && len(m.Formats) > 0 {
				p.video = videoFormat(desc.Video, m.Formats[0])
				out.Formats = []format.Format{p.video}
			}
			p.medias = append(p.medias, out)
		}
	} else {
		p.video = videoFormat(desc.Video, nil)
		p.medias = []*description.Media{{Type: description.MediaTypeVideo, Formats: []format.Format{p.video}}}
	}
	if len(p.medias) != len(desc.Tracks) {
		return nil, fmt.Errorf("%d media in the description for %d tracks", len(p.medias), len(desc.Tracks))
	}
	for _, m := range p.medias {
		clock := codec.VideoClockRate
		if len(m.Formats) > 0 {
			clock = m.Formats[0].ClockRate()
		}
		p.clocks = append(p.clocks, clock)
	}
	p.st = &gortsplib.ServerStream{Server: srv, Desc: &description.Session{Title: "camgate", Medias: p.medias}}
	if err := p.st.Initialize(); err != nil {
		return nil, err
	}
	return p, nil
}

// videoFormat returns camgate's own format for a video track, with the
// description's parameter sets (announced in the SDP: sprop-parameter-sets,
// profile-level-id, which NVRs use to set up their decoder before the first
// picture), and the payload type and packetization of like, the camera's.
func videoFormat(v stream.VideoFormat, like format.Format) format.Format {
	ps := v.ParameterSets
	if v.Codec == codec.H265 {
		f := &format.H265{PayloadTyp: 96, VPS: ps.VPS, SPS: ps.SPS, PPS: ps.PPS}
		if l, ok := like.(*format.H265); ok {
			f.PayloadTyp, f.MaxDONDiff = l.PayloadTyp, l.MaxDONDiff
		}
		return f
	}
	f := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: ps.SPS, PPS: ps.PPS}
	if l, ok := like.(*format.H264); ok {
		f.PayloadTyp, f.PacketizationMode = l.PayloadTyp, l.PacketizationMode
	}
	return f
}

// update puts new parameter sets into the SDP, for readers who come next.
func (p *servedPath) update(desc stream.Description, version uint64) {
	ps := desc.Video.ParameterSets
	switch f := p.video.(type) {
	case *format.H264:
		f.SafeSetParams(ps.SPS, ps.PPS)
	case *format.H265:
		f.SafeSetParams(ps.VPS, ps.SPS, ps.PPS)
	}
	p.version = version
	p.st.ReloadDesc()
}

func (p *servedPath) close() { p.st.Close() }
