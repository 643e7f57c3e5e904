package pipeline

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/stream"
)

// feed is one RTSP stream of a camera and the connection that pulls it: the
// camera's main stream, or the low-resolution stream it serves besides
// (sub_url). Each has its own source, supervisor, timeline and decoder queue;
// the camera's one decoder goroutine decodes what is queued (decodeloop.go),
// and sources.go decides which feed each consumer's pictures come from.
//
// Its state fields are guarded by the camera's mu.
type feed struct {
	c     *Camera
	role  string // "main" or "sub_stream", for logs and the API
	log   zerolog.Logger
	src   *rtsp.Source
	relay *stream.Stream // the main feed's passthrough main, or nil
	queue chan queuedAU
	snaps *snapshotter // snapshots served from this feed's pictures

	state      State
	since      time.Time
	lastErr    string
	lastErrAt  time.Time
	reconnects uint64
	readyAt    time.Time

	// The session running now (nil between sessions), and how to end it
	// with a cause: what lets the decoder make it ready, or fail it.
	live       *session
	endSession context.CancelCauseFunc

	stateNow atomic.Int32 // state, for readers that must not lock

	queueDrops   atomic.Uint64
	decodeErrors atomic.Uint64
	keyWaits     atomic.Uint64 // access units skipped while waiting for a keyframe
	decodedPics  atomic.Uint64
	inBytes      meter
	inFrames     meter

	// What the stream is, as its parameter sets and timestamps say, for
	// sources.go: picture size (0 while unknown), frame rate in thousandths
	// of a frame a second, and when a picture of it last decoded (UnixNano).
	width, height atomic.Int32
	codecNow      atomic.Int32 // codec.Codec of the current session
	milliFPS      atomic.Int64
	lastPicture   atomic.Int64

	// Ingest state, touched only by the source's video goroutine.
	ingest ingestState
}

// init sets up a feed of camera c, in place (it holds atomics).
func (f *feed) init(c *Camera, role string, src *rtsp.Source, log zerolog.Logger, queueSize int) {
	f.c, f.role, f.src, f.log = c, role, src, log
	f.state, f.since = StateConnecting, time.Now()
	f.queue, f.snaps = make(chan queuedAU, queueSize), newSnapshotter()
	f.ingest.offset.Store(noOffset)
}

// ready tells whether the feed delivers video now.
func (f *feed) ready() bool { return State(f.stateNow.Load()) == StateReady }

// pictureSize returns the size of the stream's pictures, 0 while unknown.
func (f *feed) pictureSize() (w, h int) { return int(f.width.Load()), int(f.height.Load()) }

// fps returns the stream's frame rate, as its timestamps say (0 while unknown).
func (f *feed) fps() float64 { return float64(f.milliFPS.Load()) / 1000 }

func (f *feed) setState(s State, err error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	f.setStateLocked(s, err)
}

func (f *feed) setStateLocked(s State, err error) {
	if f.state == StateStopped {
		return
	}
	if f.state != s {
		f.state, f.since = s, time.Now()
		f.stateNow.Store(int32(s))
		if s == StateReady {
			f.log.Info().Msg("camera ready: video flowing")
		}
	}
	if s == StateReady {
		f.readyAt = f.since
	}
	if err != nil {
		f.lastErr, f.lastErrAt = rtsp.RedactText(err.Error()), time.Now()
	}
}

// sourceHandler receives a feed's source's callbacks.
type sourceHandler feed

func (h *sourceHandler) OnSession(info rtsp.SessionInfo) error {
	f := (*feed)(h)
	c := f.c
	// OnSession runs before the session's reading goroutines start and after
	// the previous session's have ended: ingest is not shared here.
	id := uint64(1)
	if f.ingest.sess != nil {
		id = f.ingest.sess.id + 1
	}
	f.ingest.sess = &session{id: id, codec: info.Codec, params: info.ParameterSets.List()}
	c.mu.Lock()
	f.live = f.ingest.sess
	c.mu.Unlock()
	f.ingest.rebase = true
	f.ingest.ready = false
	f.ingest.dropping = false
	f.ingest.offset.Store(noOffset)
	f.ingest.rate = frameRate{}
	f.milliFPS.Store(0)
	f.codecNow.Store(int32(info.Codec))
	f.storeSize(info.Codec, info.ParameterSets)
	if f.relay != nil && f.relay.SetDescription(info.Description) {
		f.log.Info().Str("medias", info.Medias).Msg("camera's stream parameters changed: readers of the main stream reconnect")
	}
	f.log.Info().Str("medias", info.Medias).Msg("session opened")
	return nil
}

func (h *sourceHandler) OnUnit(u stream.Unit) {
	f := (*feed)(h)
	defer f.c.recoverCallback("ingest") // on the source's goroutines: guard does not cover them
	if u.Kind == stream.Video {
		f.ingestVideo(u)
		return
	}
	// Audio and data follow the video's time line; before the session's
	// first picture they have none, and no reader would start there anyway.
	if off := f.ingest.offset.Load(); off != noOffset && f.relay != nil {
		u.PTS += time.Duration(off)
		f.relay.Write(u)
	}
}

// storeSize records the picture size the parameter sets give, if they give one.
func (f *feed) storeSize(c codec.Codec, ps codec.ParameterSets) {
	if w, h := ps.PictureSize(c); w > 0 && h > 0 {
		f.width.Store(int32(w))
		f.height.Store(int32(h))
	}
}
