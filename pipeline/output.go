package pipeline

import (
	"fmt"

	"github.com/camgate/camgate/stream"
	"github.com/camgate/camgate/transcode"
)

// output is a transcoded stream of a camera (its sub stream, or a transcoded
// main): the camera's decoded pictures at the output's frame rate, scaled and
// encoded. It lives as long as the camera: readers stay connected and
// timestamps keep growing across camera reconnects.
type output struct {
	*encodedStream
	gate   FrameRateGate
	alg    transcode.ScaleAlgorithm
	scaler *transcode.Scaler
}

func newOutput(hub *stream.Hub, path, name string, cfg OutputConfig) (*output, error) {
	o := &output{gate: NewFrameRateGate(cfg.FPS), alg: cfg.Scale}
	var err error
	if o.scaler, err = transcode.NewScaler(cfg.Width, cfg.Height, cfg.Scale); err != nil {
		return nil, err
	}
	if o.encodedStream, err = newEncodedStream(hub, path, name, cfg); err != nil {
		o.scaler.Close()
		return nil, err
	}
	return o, nil
}

// push takes a decoded picture; it keeps one every 1/fps and encodes it. The
// frame-rate gate comes before scaling, so dropped pictures cost nothing. It
// returns the picture it scaled (nil if it kept none), which grid tiles of
// the same camera may scale further instead of the full picture (cascade.go);
// it is valid until the next push.
//
// Nobody watching: nothing is scaled or encoded. The first picture after a
// reader joins is then the encoder's next, and an IDR (it is forced on join).
func (o *output) push(f *transcode.Frame) (*transcode.Frame, error) {
	if !o.gate.Accept(f.PTS()) || !o.watched() {
		return nil, nil
	}
	s, err := o.scaler.Scale(f)
	if err != nil {
		o.errors.Add(1)
		return nil, fmt.Errorf("%s: %w", o.name, err)
	}
	if err := o.encode(s); err != nil {
		return s, fmt.Errorf("%s: %w", o.name, err)
	}
	return s, nil
}

// Close unpublishes the stream and frees the encoder and scaler.
func (o *output) Close() error {
	if o.encodedStream != nil {
		o.encodedStream.Close()
	}
	if o.scaler != nil {
		o.scaler.Close()
		o.scaler = nil
	}
	return nil
}
