package transcode

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/asticode/go-astiav"

	"github.com/camgate/camgate/codec"
)

// timeBase is the time base of every codec context and frame here: the
// 90 kHz clock of RTP video, so that a timestamp crosses libav unchanged.
var timeBase = astiav.NewRational(1, codec.VideoClockRate)

// Frame is a decoded or scaled picture in a planar YUV format.
//
// A Frame returned by a Decoder or Scaler belongs to it and is overwritten by
// its next call.
type Frame struct {
	f     *astiav.Frame
	owned bool // made by NewFrame: Close frees it
}

// Width returns the picture's width in pixels.
func (f *Frame) Width() int { return f.f.Width() }

// Height returns the picture's height in pixels.
func (f *Frame) Height() int { return f.f.Height() }

// PTS returns the presentation timestamp.
func (f *Frame) PTS() time.Duration { return codec.Duration(f.f.Pts(), codec.VideoClockRate) }

// SetPTS sets the presentation timestamp.
func (f *Frame) SetPTS(pts time.Duration) { f.f.SetPts(codec.Ticks(pts, codec.VideoClockRate)) }

// Plane returns plane i (0 = Y, 1 = U, 2 = V) and its stride in bytes, without
// copying: the slice is valid as long as the frame is.
func (f *Frame) Plane(i int) ([]byte, int) {
	if i < 0 || i > 2 {
		return nil, 0
	}
	data, stride := framePlane(f.f, i)
	h := f.Height()
	if i > 0 {
		h = (h + 1) / 2 // every format camgate hands out is 4:2:0
	}
	if data == nil || stride <= 0 {
		return nil, 0
	}
	return unsafe.Slice((*byte)(data), stride*h), stride
}

// NewFrame allocates a black yuv420p picture of the given size, for tests,
// placeholders and canvases. Close it when done.
func NewFrame(width, height int) (*Frame, error) {
	if err := checkSize(width, height); err != nil {
		return nil, err
	}
	f := astiav.AllocFrame()
	f.SetWidth(width)
	f.SetHeight(height)
	f.SetPixelFormat(astiav.PixelFormatYuv420P)
	if err := f.AllocBuffer(0); err != nil {
		f.Free()
		return nil, fmt.Errorf("frame buffer: %w", err)
	}
	if err := f.ImageFillBlack(); err != nil {
		f.Free()
		return nil, err
	}
	return &Frame{f: f, owned: true}, nil
}

// Fill paints the whole picture with one Y'CbCr colour.
func (f *Frame) Fill(y, cb, cr byte) { FillRect(f, 0, 0, f.Width(), f.Height(), y, cb, cr) }

// Close releases a frame made by NewFrame. Frames owned by a Decoder or Scaler
// are released by their owner; closing them is a no-op.
func (f *Frame) Close() error {
	if f != nil && f.f != nil && f.owned {
		f.f.Free()
		f.f = nil
	}
	return nil
}
