package bench

import (
	"fmt"
	"github.com/camgate/camgate/codec"
	"time"

	"github.com/camgate/camgate/transcode"
)

// references are the pictures quality is measured against: the input decoded
// in full (deblocking every picture) and scaled with Lanczos, the best
// scaler, to each output size. A setting's own shortcuts (skipping the
// deblocking filter, a cheaper scaler, fewer bits) all show in its score.
type references struct {
	in    *Input
	sizes map[[2]int][]*transcode.Frame // by output size, one per input picture
}

func newReferences(in *Input) *references {
	return &references{in: in, sizes: map[[2]int][]*transcode.Frame{}}
}

// get returns the reference pictures at w×h, index i being input picture i.
func (r *references) get(w, h int) (_ []*transcode.Frame, err error) {
	if fs, ok := r.sizes[[2]int{w, h}]; ok {
		return fs, nil
	}
	dec, err := transcode.NewDecoder(transcode.DecoderConfig{Codec: r.in.codec()})
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	sc, err := transcode.NewScaler(w, h, transcode.ScaleLanczos)
	if err != nil {
		return nil, err
	}
	defer sc.Close()
	frames := make([]*transcode.Frame, len(r.in.AUs))
	defer func() {
		if err != nil {
			closeFrames(frames) // whatever was made before the failure
		}
	}()
	keep := func(f *transcode.Frame) error {
		i := r.in.index(f.PTS())
		if i < 0 || i >= len(frames) || frames[i] != nil {
			return nil
		}
		s, err := sc.Scale(f)
		if err != nil {
			return err
		}
		c, err := transcode.NewFrame(w, h)
		if err != nil {
			return err
		}
		transcode.Blit(c, 0, 0, s, 0, 0, w, h)
		frames[i] = c
		return nil
	}
	var au codec.AccessUnit
	for i := range r.in.AUs {
		if err := dec.Decode(r.in.unit(i, &au), keep); err != nil {
			return nil, err
		}
	}
	if err := dec.Decode(nil, keep); err != nil {
		return nil, err
	}
	for i, f := range frames {
		if f == nil {
			return nil, fmt.Errorf("reference %dx%d: input picture %d does not decode", w, h, i)
		}
	}
	r.sizes[[2]int{w, h}] = frames
	return frames, nil
}

func (r *references) Close() {
	for _, fs := range r.sizes {
		closeFrames(fs)
	}
	r.sizes = nil
}

func closeFrames(fs []*transcode.Frame) {
	for _, f := range fs {
		f.Close()
	}
}

// pts is the presentation time of input picture i.
func (in *Input) pts(i int) time.Duration {
	return time.Duration(i) * time.Second / time.Duration(in.FPS)
}

// codec is the input's video codec.
func (in *Input) codec() codec.Codec {
	if in.HEVC {
		return codec.H265
	}
	return codec.H264
}

// unit fills au with input picture i, as camgate's ingest would hand it to
// the decoder, and returns it.
func (in *Input) unit(i int, au *codec.AccessUnit) *codec.AccessUnit {
	c := in.codec()
	*au = codec.AccessUnit{NALUs: in.AUs[i], PTS: in.pts(i), Keyframe: codec.IsKeyframe(c, in.AUs[i])}
	return au
}

// index is the input picture at presentation time pts.
func (in *Input) index(pts time.Duration) int {
	return int((pts*time.Duration(in.FPS) + time.Second/2) / time.Second)
}
