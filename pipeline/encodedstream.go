package pipeline

import (
	"sync/atomic"
	"time"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/stream"
	"github.com/camgate/camgate/transcode"
)

// encodedStream is an H.264 stream camgate encodes itself: a sub stream, a
// transcoded main or a grid. It is an encoder, the hub stream it publishes
// and their counters. Its format is fixed, so it is published once and stays
// up as long as its owner: readers are never disconnected by a camera's
// reboot, and a reader who joins gets an IDR at once.
type encodedStream struct {
	name   string // "sub", "main" or "grid"
	width  int
	height int
	enc    *transcode.Encoder
	grid   frameGrid // the pictures' times, on the frame rate's grid
	st     *stream.Stream
	emit   func(*codec.AccessUnit) error // e.send, bound once: no allocation per picture

	frames   atomic.Uint64 // encoded pictures sent
	errors   atomic.Uint64 // scale, encode or send failures
	lastUnix atomic.Int64
	fps      meter
	bytes    meter
}

func newEncodedStream(hub *stream.Hub, path, name string, cfg OutputConfig) (*encodedStream, error) {
	e := &encodedStream{name: name, width: cfg.Width, height: cfg.Height, grid: newFrameGrid(cfg.FPS)}
	e.emit = e.send
	var err error
	if e.enc, err = transcode.NewEncoder(cfg.encoderConfig()); err != nil {
		return nil, err
	}
	d := stream.H264Description(codec.FromList(codec.H264, e.enc.ParameterSets()), cfg.Width, cfg.Height)
	if e.st, err = hub.Publish(path, stream.PublishOptions{Description: &d, OnJoin: e.enc.ForceKeyframe}); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// watched reports whether anyone reads the stream: nobody watching, nothing
// is encoded.
func (e *encodedStream) watched() bool { return e.st.HasReaders() }

// encode encodes one picture of the stream's size and sends it to readers.
func (e *encodedStream) encode(f *transcode.Frame) error {
	f.SetPTS(e.grid.stamp(f.PTS()))
	if err := e.enc.Encode(f, e.emit); err != nil {
		e.errors.Add(1)
		return err
	}
	return nil
}

// send hands one encoded picture to the hub, which copies it for readers.
func (e *encodedStream) send(au *codec.AccessUnit) error {
	e.st.WriteAccessUnit(au)
	e.frames.Add(1)
	e.lastUnix.Store(time.Now().UnixNano())
	return nil
}

// sample feeds the rate meters; its owner calls it once a second.
func (e *encodedStream) sample() {
	e.fps.sample(e.frames.Load())
	e.bytes.sample(e.st.Stats().BytesOut)
}

// OutputStats describes one output stream.
type OutputStats struct {
	Name        string  `json:"name"`
	Path        string  `json:"path"`
	Width       int     `json:"width"`
	Height      int     `json:"height"`
	Readers     int     `json:"readers"`
	Frames      uint64  `json:"frames"`
	BytesOut    uint64  `json:"bytes_out"`
	Drops       uint64  `json:"reader_drops"`  // units slow readers lost (they skip to the next keyframe)
	FPS         float64 `json:"fps"`           // frames per second over the last 10 s
	Bitrate1s   float64 `json:"bitrate_1s"`    // bit/s sent to readers, last second
	Bitrate10s  float64 `json:"bitrate_10s"`   // bit/s sent to readers, last 10 s
	Errors      uint64  `json:"errors"`        // scale, encode or send failures
	LastFrameMs int64   `json:"last_frame_ms"` // age of the last frame, -1 if none yet
}

func (e *encodedStream) stats() OutputStats {
	st := e.st.Stats()
	_, fps := e.fps.rates()
	b1, b10 := e.bytes.rates()
	return OutputStats{
		Name: e.name, Path: st.Path, Width: e.width, Height: e.height,
		Readers: st.Readers, Frames: e.frames.Load(), BytesOut: st.BytesOut, Drops: st.Drops,
		FPS: fps, Bitrate1s: b1 * 8, Bitrate10s: b10 * 8, Errors: e.errors.Load(), LastFrameMs: age(e.lastUnix.Load()),
	}
}

// age returns how long ago a UnixNano time was, in milliseconds; -1 for never.
func age(unixNano int64) int64 {
	if unixNano == 0 {
		return -1
	}
	return time.Since(time.Unix(0, unixNano)).Milliseconds()
}

// Close unpublishes the stream (its readers end) and frees the encoder. It
// is safe to call more than once.
func (e *encodedStream) Close() error {
	if e.st != nil {
		e.st.Close()
	}
	if e.enc != nil {
		e.enc.Close()
		e.enc = nil
	}
	return nil
}
