package transcode

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/asticode/go-astiav"
)

// JPEGEncoder makes JPEG snapshots of frames with libav's mjpeg encoder.
// Snapshots are not on the per-frame path: each call returns a new slice.
type JPEGEncoder struct {
	qscale int
	ctx    *astiav.CodecContext
	w, h   int
	scaler *Scaler
	pkt    *packet
	n      int64 // pictures encoded: their PTS, which mjpeg wants increasing
}

// NewJPEGEncoder makes an encoder with a quality from 1 (smallest) to 100
// (best); 0 means 85.
func NewJPEGEncoder(quality int) (*JPEGEncoder, error) {
	if quality == 0 {
		quality = 85
	}
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("jpeg: quality %d: must be between 1 and 100", quality)
	}
	pkt, err := newPacket()
	if err != nil {
		return nil, fmt.Errorf("jpeg: %w", err)
	}
	// mjpeg's quantizer runs from 2 (best) to 31 (worst).
	return &JPEGEncoder{qscale: 2 + (100-quality)*29/99, pkt: pkt}, nil
}

// Encode returns f as a JPEG picture, width pixels wide (0: f's own width), the
// height following f's aspect ratio.
func (j *JPEGEncoder) Encode(f *Frame, width int) ([]byte, error) {
	if f == nil || f.f == nil {
		return nil, errors.New("jpeg: no frame")
	}
	sw, sh := f.Width(), f.Height()
	if sw <= 0 || sh <= 0 {
		return nil, errors.New("jpeg: frame has no size")
	}
	if width <= 0 || width > sw {
		width = sw
	}
	height := (sh*width/sw + 1) &^ 1
	width &^= 1
	if width < MinDimension || height < MinDimension {
		return nil, fmt.Errorf("jpeg: %dx%d is too small (at least %d pixels a side)", width, height, MinDimension)
	}
	if err := j.configure(width, height); err != nil {
		return nil, err
	}
	full, err := j.scaler.Scale(f)
	if err != nil {
		return nil, fmt.Errorf("jpeg: %w", err)
	}
	// The mjpeg encoder refuses a picture whose PTS is not above the last
	// one's: the second snapshot of the same size failed with PTS 0.
	j.n++
	full.f.SetPts(j.n)
	setQScale(full.f, j.qscale)
	if ret := sendFrame(j.ctx, full.f); ret < 0 {
		return nil, avError("jpeg: mjpeg", ret)
	}
	if ret := receivePacket(j.ctx, j.pkt); ret < 0 {
		return nil, avError("jpeg: mjpeg", ret)
	}
	return append([]byte(nil), j.pkt.bytes()...), nil
}

func (j *JPEGEncoder) configure(w, h int) error {
	if j.ctx != nil && w == j.w && h == j.h {
		return nil
	}
	j.closeCodec()
	codec := astiav.FindEncoder(astiav.CodecIDMjpeg)
	if codec == nil {
		return errors.New("jpeg: libav was built without the mjpeg encoder")
	}
	scaler, err := newScaler(w, h, ScaleBicubic, astiav.PixelFormatYuvj420P)
	if err != nil {
		return fmt.Errorf("jpeg: %w", err)
	}
	ctx := astiav.AllocCodecContext(codec)
	if ctx == nil {
		scaler.Close()
		return errors.New("jpeg: avcodec_alloc_context3 failed")
	}
	ctx.SetWidth(w)
	ctx.SetHeight(h)
	ctx.SetPixelFormat(astiav.PixelFormatYuvj420P)
	ctx.SetColorRange(astiav.ColorRangeJpeg)
	ctx.SetTimeBase(astiav.NewRational(1, 25))
	ctx.SetFlags(ctx.Flags().Add(astiav.CodecContextFlagQscale))
	opts := astiav.NewDictionary()
	defer opts.Free()
	_ = opts.Set("global_quality", strconv.Itoa(j.qscale*qp2lambda()), 0)
	if err := ctx.Open(codec, opts); err != nil {
		ctx.Free()
		scaler.Close()
		return fmt.Errorf("jpeg: open mjpeg %dx%d: %w", w, h, err)
	}
	j.ctx, j.scaler, j.w, j.h = ctx, scaler, w, h
	return nil
}

func (j *JPEGEncoder) closeCodec() {
	if j.ctx != nil {
		j.ctx.Free()
		j.ctx = nil
	}
	if j.scaler != nil {
		j.scaler.Close()
		j.scaler = nil
	}
}

// Close releases the encoder. It is safe to call more than once.
func (j *JPEGEncoder) Close() error {
	j.closeCodec()
	j.pkt.free()
	j.pkt = nil
	return nil
}
