package hls

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gohlslib/v2"
	"github.com/bluenviron/gohlslib/v2/pkg/codecs"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/rs/zerolog"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/stream"
)

// stallTimeout closes a muxer whose stream sent no video for this long (a
// relayed camera that is down): requests blocked in it (LL-HLS blocking
// playlist reloads) are released, and the next request makes a new muxer.
// Transcoded streams (sub, grid) keep their frame rate while their camera
// is down, so their muxers stay.
const stallTimeout = 15 * time.Second

// ntpResync re-anchors the wall clock given to the muxer when the stream's
// clock has drifted this far from it.
const ntpResync = 5 * time.Second

// muxer is one path's gohlslib muxer and the goroutine that feeds it from a
// hub reader.
type muxer struct {
	path   string
	log    zerolog.Logger
	reader *stream.Reader
	hm     *gohlslib.Muxer

	video      *gohlslib.Track
	videoCodec codec.Codec
	videoTrack int
	params     codec.ParameterSets // the description's, prepended to keyframes that lack them

	audio      *gohlslib.Track
	audioTrack int // -1: none
	audioRate  int
	audioKind  string

	ctx    context.Context
	cancel context.CancelFunc

	lastRequest atomic.Int64 // unix nanoseconds
	active      atomic.Int32 // requests being served: a muxer is not idle while it has some

	ready     chan struct{} // closed when the muxer serves its first segment
	readyOnce sync.Once
	done      chan struct{} // closed when run has ended
	closeOnce sync.Once
	err       error // why the muxer closed; set before done closes

	// Owned by run.
	started    bool
	basePTS    time.Duration
	baseWall   time.Time
	videoCount int
	sps        []byte // the SPS of the first keyframe: the init file's
}

func newMuxer(s *Server, path string, st *stream.Stream) (*muxer, error) {
	desc, _, ok := st.Description()
	if !ok {
		return nil, errors.New("not ready: its camera has not connected yet; retry")
	}
	m := &muxer{
		path:       path,
		log:        s.log.With().Str("path", path).Logger(),
		videoCodec: desc.Video.Codec,
		videoTrack: desc.VideoTrack,
		params:     desc.Video.ParameterSets,
		audioTrack: -1,
		ready:      make(chan struct{}),
		done:       make(chan struct{}),
	}
	switch desc.Video.Codec {
	case codec.H264:
		m.video = &gohlslib.Track{Codec: &codecs.H264{SPS: desc.Video.ParameterSets.SPS, PPS: desc.Video.ParameterSets.PPS}, ClockRate: codec.VideoClockRate}
	case codec.H265:
		p := desc.Video.ParameterSets
		m.video = &gohlslib.Track{Codec: &codecs.H265{VPS: p.VPS, SPS: p.SPS, PPS: p.PPS}, ClockRate: codec.VideoClockRate}
	default:
		return nil, fmt.Errorf("video codec %v cannot be carried by HLS", desc.Video.Codec)
	}
	tracks := []*gohlslib.Track{m.video}
	if t, i := m.audioFor(desc); t != nil {
		m.audio, m.audioTrack = t, i
		tracks = append(tracks, t)
	}

	m.hm = &gohlslib.Muxer{
		Tracks:             tracks,
		Variant:            gohlslib.MuxerVariantLowLatency,
		SegmentCount:       s.cfg.SegmentCount,
		SegmentMinDuration: s.cfg.SegmentDuration,
		PartMinDuration:    s.cfg.PartDuration,
		OnEncodeError: func(err error) {
			m.log.Warn().Err(err).Msg("HLS muxer: encode error")
		},
	}
	if err := m.hm.Start(); err != nil {
		return nil, fmt.Errorf("start the HLS muxer: %w", err)
	}
	r, err := st.AddReader()
	if err != nil {
		m.hm.Close()
		if errors.Is(err, stream.ErrNotReady) {
			return nil, errors.New("not ready: its camera has not connected yet; retry")
		}
		return nil, err
	}
	m.reader = r
	m.ctx, m.cancel = context.WithCancel(s.ctx)
	m.touch()
	ev := m.log.Info().Str("video", desc.Video.Codec.String()).Int("width", desc.Video.Width).Int("height", desc.Video.Height)
	if m.audio != nil {
		ev = ev.Str("audio", m.audioKind)
	}
	ev.Msg("HLS muxer opened")
	return m, nil
}

// audioFor picks the first audio track HLS (fMP4) can carry as it is.
func (m *muxer) audioFor(desc stream.Description) (*gohlslib.Track, int) {
	for i, t := range desc.Tracks {
		if t.Kind != stream.Audio {
			continue
		}
		switch t.Codec {
		case "MPEG-4 Audio":
			var conf mpeg4audio.AudioSpecificConfig
			if len(t.Config) == 0 {
				m.log.Debug().Int("track", i).Msg("HLS: AAC track without its AudioSpecificConfig: left out")
				continue
			}
			if err := conf.Unmarshal(t.Config); err != nil {
				m.log.Debug().Err(err).Int("track", i).Msg("HLS: AAC track with an invalid AudioSpecificConfig: left out")
				continue
			}
			if conf.SampleRate <= 0 {
				continue
			}
			m.audioRate, m.audioKind = conf.SampleRate, "AAC"
			return &gohlslib.Track{Codec: &codecs.MPEG4Audio{Config: conf}, ClockRate: conf.SampleRate}, i
		case "Opus":
			// RTP carries Opus at 48 kHz whatever the encoder's rate; a
			// decoder set up for two channels decodes mono packets as well.
			m.audioRate, m.audioKind = 48000, "Opus"
			return &gohlslib.Track{Codec: &codecs.Opus{ChannelCount: 2}, ClockRate: 48000}, i
		default:
			m.log.Debug().Int("track", i).Str("codec", t.Codec).Msg("HLS: audio codec not carried by fMP4 HLS: left out")
		}
	}
	return nil, -1
}

func (m *muxer) touch() { m.lastRequest.Store(time.Now().UnixNano()) }

// idleSince is how long nobody has been asking for anything: 0 while a
// request is being served (a request blocked in the muxer is released by
// the stall watchdog, or by the new part it waits for).
func (m *muxer) idleSince(now time.Time) time.Duration {
	if m.active.Load() > 0 {
		return 0
	}
	return now.Sub(time.Unix(0, m.lastRequest.Load()))
}

// begin and end bracket a request of the muxer.
func (m *muxer) begin() { m.active.Add(1); m.touch() }
func (m *muxer) end()   { m.touch(); m.active.Add(-1) }

func (m *muxer) isDone() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// close asks run to end, with err as the reason.
func (m *muxer) close(err error) {
	m.closeOnce.Do(func() {
		m.err = err
		m.cancel()
	})
}

// run feeds the muxer until the reader ends (the stream was closed or
// changed format), the muxer is closed or a write fails.
func (m *muxer) run() {
	defer close(m.done)
	defer m.hm.Close() // releases requests waiting in it
	defer m.reader.Close()
	err := m.feed()
	m.closeOnce.Do(func() { m.err = err })
	if m.err == nil {
		m.err = errServerClosed
	}
	m.cancel()
	ev := m.log.Info()
	if !errors.Is(m.err, errIdle) && !errors.Is(m.err, errServerClosed) {
		ev = m.log.Warn()
	}
	ev.Str("reason", m.err.Error()).Msg("HLS muxer closed")
}

var errStalled = fmt.Errorf("no video for %v", stallTimeout)

func (m *muxer) feed() error {
	ctx, cancel := context.WithCancelCause(m.ctx)
	defer cancel(nil)
	// The stall watchdog cancels the reads of a stream that sends nothing.
	stall := time.AfterFunc(stallTimeout, func() { cancel(errStalled) })
	defer stall.Stop()
	for {
		u, err := m.reader.Read(ctx)
		if err != nil {
			switch {
			case errors.Is(context.Cause(ctx), errStalled):
				return errStalled
			case errors.Is(err, stream.ErrDescriptionChanged):
				return errors.New("the stream's format changed")
			case errors.Is(err, stream.ErrClosed):
				return errors.New("the stream was closed")
			case m.ctx.Err() != nil:
				return errServerClosed // or the reason close was given, which run keeps
			}
			return err
		}
		if u.Kind == stream.Video && u.Track == m.videoTrack {
			stall.Reset(stallTimeout)
		}
		if err := m.write(&u); err != nil {
			return err
		}
	}
}

// write hands one unit to the muxer.
func (m *muxer) write(u *stream.Unit) error {
	now := time.Now()
	if !m.started {
		if u.Kind != stream.Video || u.Track != m.videoTrack || !u.Keyframe {
			return nil // the hub starts readers at a keyframe; be sure of it
		}
		m.started, m.basePTS, m.baseWall = true, u.PTS, now
	}
	rel := u.PTS - m.basePTS
	ntp := m.baseWall.Add(rel)
	if d := now.Sub(ntp); d > ntpResync || d < -ntpResync {
		// The stream's clock drifted from the wall clock (or the stream
		// resumed after a gap it did not count): date from now on.
		m.baseWall = now.Add(-rel)
		ntp = now
		m.log.Debug().Dur("drift", d).Msg("HLS: program date re-anchored to the wall clock")
	}
	switch {
	case u.Track == m.videoTrack && u.Kind == stream.Video:
		return m.writeVideo(u, ntp, codec.Ticks(rel, codec.VideoClockRate))
	case u.Track == m.audioTrack && m.audio != nil:
		return m.writeAudio(u, ntp, codec.Ticks(rel, m.audioRate))
	}
	return nil
}

func (m *muxer) writeVideo(u *stream.Unit, ntp time.Time, pts int64) error {
	au := u.Data
	if len(au) == 0 {
		return nil
	}
	for _, n := range au {
		if len(n) == 0 {
			return nil // a broken access unit; the muxer would crash on it
		}
	}
	if u.Keyframe {
		au = m.withParameterSets(au)
		sps := spsOf(m.videoCodec, au)
		if m.sps == nil {
			m.sps = sps
		} else if sps != nil && !bytes.Equal(sps, m.sps) {
			// The init file holds the first SPS: a new one (another
			// resolution) needs a new muxer, which the player's next
			// request makes.
			return errors.New("the video's parameter sets changed")
		}
	}
	var err error
	if m.videoCodec == codec.H265 {
		err = m.hm.WriteH265(m.video, ntp, pts, au)
	} else {
		err = m.hm.WriteH264(m.video, ntp, pts, au)
	}
	if err != nil {
		return fmt.Errorf("write video: %w", err)
	}
	m.videoCount++
	// gohlslib serves its playlists from its first segment on, which it
	// opens at the second sample (it needs the first one's duration).
	if m.videoCount >= 2 {
		m.readyOnce.Do(func() { close(m.ready) })
	}
	return nil
}

func (m *muxer) writeAudio(u *stream.Unit, ntp time.Time, pts int64) error {
	if len(u.Data) == 0 {
		return nil
	}
	var err error
	switch m.audio.Codec.(type) {
	case *codecs.MPEG4Audio:
		err = m.hm.WriteMPEG4Audio(m.audio, ntp, pts, u.Data)
	case *codecs.Opus:
		err = m.hm.WriteOpus(m.audio, ntp, pts, u.Data)
	}
	if err != nil {
		// Audio is not worth the video's muxer: skip the frame.
		m.log.Debug().Err(err).Msg("HLS: audio frame not muxed")
	}
	return nil
}

// withParameterSets prepends the stream's parameter sets to a keyframe that
// lacks them (a camera that sends them only in its SDP), so that every
// segment can be decoded on its own.
func (m *muxer) withParameterSets(au [][]byte) [][]byte {
	var has [3]bool // VPS, SPS, PPS
	for _, n := range au {
		switch typ := naluType(m.videoCodec, n); {
		case m.videoCodec == codec.H264 && typ == 7, m.videoCodec == codec.H265 && typ == 33:
			has[1] = true
		case m.videoCodec == codec.H264 && typ == 8, m.videoCodec == codec.H265 && typ == 34:
			has[2] = true
		case m.videoCodec == codec.H265 && typ == 32:
			has[0] = true
		}
	}
	if m.videoCodec == codec.H264 {
		has[0] = true
	}
	if has[0] && has[1] && has[2] {
		return au
	}
	var pre [][]byte
	if !has[0] && len(m.params.VPS) > 0 {
		pre = append(pre, m.params.VPS)
	}
	if !has[1] && len(m.params.SPS) > 0 {
		pre = append(pre, m.params.SPS)
	}
	if !has[2] && len(m.params.PPS) > 0 {
		pre = append(pre, m.params.PPS)
	}
	if len(pre) == 0 {
		return au
	}
	return append(pre, au...) // a new slice: the unit's belongs to the hub
}

func naluType(c codec.Codec, n []byte) int {
	if len(n) == 0 {
		return -1
	}
	if c == codec.H265 {
		return int(n[0]>>1) & 0x3f
	}
	return int(n[0] & 0x1f)
}

func spsOf(c codec.Codec, au [][]byte) []byte {
	want := 7
	if c == codec.H265 {
		want = 33
	}
	for _, n := range au {
		if naluType(c, n) == want {
			return n
		}
	}
	return nil
}

// gapFile is the URI gohlslib gives its gap segments.
const gapFile = "gap.mp4"

// serve hands a request to gohlslib. A file it does not know is answered
// 404 (gohlslib itself would answer an empty 200).
func (m *muxer) serve(w http.ResponseWriter, r *http.Request) {
	m.begin()
	defer m.end()
	rw := &statusWriter{ResponseWriter: w}
	m.hm.Handle(rw, r)
	if !rw.wrote && path.Base(r.URL.Path) == gapFile {
		// The placeholder of the segments before the first one (#EXT-X-GAP,
		// which iOS needs). LL-HLS clients never load it; clients that do
		// not know the tag (GStreamer 1.22's hlsdemux) do, and retry a 404
		// for ever instead of moving on: an empty segment lets them.
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Cache-Control", "max-age=3600")
		w.WriteHeader(http.StatusOK)
		return
	}
	if !rw.wrote {
		notFound(w, fmt.Sprintf("404 not found: no such file in the HLS muxer of %q (it may have expired)", m.path))
	}
}

type statusWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}
