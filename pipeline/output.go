package pipeline

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/transcode"
)

// output is a transcoded stream of a camera (its sub stream, or a transcoded
// main). Its encoder and its RTSP path live as long as the camera: readers stay
// connected and timestamps keep growing across camera reconnects.
type output struct {
	name   string // "sub" or "main"
	cfg    OutputConfig
	gate   FrameRateGate
	scaler *transcode.Scaler
	enc    *transcode.Encoder
	stream *rtsp.H264Stream
	emit   func(*transcode.AccessUnit) error // o.send, bound once: no allocation per picture

	frames   atomic.Uint64 // encoded frames sent
	errors   atomic.Uint64
	lastUnix atomic.Int64
	fps      meter
	bytes    meter
}

func newOutput(srv *rtsp.Server, path, name string, cfg OutputConfig) (*output, error) {
	o := &output{name: name, cfg: cfg, gate: NewFrameRateGate(cfg.FPS)}
	o.emit = o.send
	var err error
	if o.scaler, err = transcode.NewScaler(cfg.Width, cfg.Height, cfg.Scale); err != nil {
		return nil, err
	}
	if o.enc, err = transcode.NewEncoder(cfg.encoderConfig()); err != nil {
		o.Close()
		return nil, err
	}
	if o.stream, err = srv.PublishH264(path, o.enc.ParameterSets(), o.enc.ForceKeyframe); err != nil {
		o.Close()
		return nil, err
	}
	return o, nil
}

// push takes a decoded picture; it keeps one every 1/fps and encodes it. The
// frame-rate gate comes before scaling, so dropped pictures cost nothing.
//
// Nobody watching: nothing is scaled or encoded. The first picture after a
// reader joins is then the encoder's next, and an IDR (it is forced on join).
func (o *output) push(f *transcode.Frame) error {
	if !o.gate.Accept(f.PTS()) || !o.stream.HasReaders() {
		return nil
	}
	s, err := o.scaler.Scale(f)
	if err != nil {
		o.errors.Add(1)
		return fmt.Errorf("%s: %w", o.name, err)
	}
	if err := o.enc.Encode(s, o.emit); err != nil {
		o.errors.Add(1)
		return fmt.Errorf("%s: %w", o.name, err)
	}
	return nil
}

// send writes one encoded picture to the stream's readers.
func (o *output) send(au *transcode.AccessUnit) error {
	if err := o.stream.WriteAccessUnit(au.NALUs, au.PTS); err != nil {
		return err
	}
	o.frames.Add(1)
	o.lastUnix.Store(time.Now().UnixNano())
	return nil
}

func (o *output) sample() {
	o.fps.sample(o.frames.Load())
	o.bytes.sample(o.stream.Stats().BytesOut)
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
	FPS         float64 `json:"fps"`           // frames per second over the last 10 s
	Bitrate1s   float64 `json:"bitrate_1s"`    // bit/s sent to readers, last second
	Bitrate10s  float64 `json:"bitrate_10s"`   // bit/s sent to readers, last 10 s
	Errors      uint64  `json:"errors"`        // scale, encode or send failures
	LastFrameMs int64   `json:"last_frame_ms"` // age of the last frame, -1 if none yet
}

func (o *output) stats() OutputStats {
	st := o.stream.Stats()
	_, fps := o.fps.rates()
	b1, b10 := o.bytes.rates()
	age := int64(-1)
	if t := o.lastUnix.Load(); t != 0 {
		age = time.Since(time.Unix(0, t)).Milliseconds()
	}
	return OutputStats{
		Name: o.name, Path: st.Path, Width: o.cfg.Width, Height: o.cfg.Height,
		Readers: st.Readers, Frames: o.frames.Load(), BytesOut: st.BytesOut,
		FPS: fps, Bitrate1s: b1 * 8, Bitrate10s: b10 * 8, Errors: o.errors.Load(), LastFrameMs: age,
	}
}

// Close unpublishes the stream and frees the encoder and scaler.
func (o *output) Close() error {
	if o.stream != nil {
		o.stream.Close()
		o.stream = nil
	}
	if o.enc != nil {
		o.enc.Close()
		o.enc = nil
	}
	if o.scaler != nil {
		o.scaler.Close()
		o.scaler = nil
	}
	return nil
}

// FrameRateGate keeps one picture per interval of presentation time: how an
// output of a lower frame rate than its camera picks its pictures. The zero
// value keeps everything; make one with NewFrameRateGate.
type FrameRateGate struct {
	interval time.Duration
	next     time.Duration
	started  bool
}

// NewFrameRateGate returns a gate that keeps fps pictures a second.
func NewFrameRateGate(fps int) FrameRateGate {
	return FrameRateGate{interval: time.Second / time.Duration(fps)}
}

// Accept reports whether the picture at pts is kept.
func (g *FrameRateGate) Accept(pts time.Duration) bool {
	switch {
	case !g.started || pts < g.next-2*g.interval || pts > g.next+2*g.interval:
		// First picture, or a jump in time: start again from this picture.
		g.next, g.started = pts+g.interval, true
		return true
	case pts >= g.next:
		g.next += g.interval
		return true
	}
	return false
}
