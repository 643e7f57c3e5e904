package demo

import (
	"fmt"
	"math"
	"time"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/transcode"
)

// Clip renders seconds of synthetic camera-like video and encodes it to
// H.264 (GOP of 2 s, as cameras do): a moving gradient, an object crossing the
// picture and a running clock bar. hue in [0,360) tints it, so that several
// demo cameras are told apart at a glance. gop is the distance between
// keyframes in frames (0: 2 s).
func Clip(width, height, fps, seconds, gop, hue int) (fakecam.Clip, error) {
	cb, cr := hueToChroma(hue)
	return encodeClip(width, height, fps, seconds, gop, func(f *transcode.Frame, i int) {
		drawDemoFrame(f, i, fps, cb, cr)
	})
}

// SolidClip is seconds of one Y'CbCr colour: a picture that survives any
// compression, for checking where a camera's picture ends up (grid tiles,
// snapshots). The tests of pipeline and api are its users; it lives beside
// Clip, not in a test package, because it is Clip with another drawing and
// shares its encoder loop, and costs the binary a few lines and no state.
func SolidClip(width, height, fps, seconds, gop int, y, cb, cr byte) (fakecam.Clip, error) {
	return encodeClip(width, height, fps, seconds, gop, func(f *transcode.Frame, _ int) { f.Fill(y, cb, cr) })
}

// encodeClip encodes the pictures draw makes to H.264, as a camera would
// (no B-frames, a keyframe every gop frames; 0: every 2 s).
func encodeClip(width, height, fps, seconds, gop int, draw func(f *transcode.Frame, i int)) (fakecam.Clip, error) {
	if gop <= 0 {
		gop = 2 * fps
	}
	f, err := transcode.NewFrame(width, height)
	if err != nil {
		return fakecam.Clip{}, err
	}
	defer f.Close()
	enc, err := transcode.NewEncoder(transcode.EncoderConfig{
		Width: width, Height: height, FPS: fps, GOP: gop,
		Preset: "ultrafast", Tune: "zerolatency", CRF: 23,
	})
	if err != nil {
		return fakecam.Clip{}, err
	}
	defer enc.Close()
	var clip fakecam.Clip
	keep := func(au *codec.AccessUnit) error {
		nalus := make([][]byte, len(au.NALUs))
		for k, nal := range au.NALUs {
			nalus[k] = append([]byte(nil), nal...)
		}
		clip.AccessUnits = append(clip.AccessUnits, nalus)
		return nil
	}
	n := fps * seconds
	for i := 0; i < n; i++ {
		draw(f, i)
		f.SetPTS(time.Duration(i) * time.Second / time.Duration(fps))
		if err := enc.Encode(f, keep); err != nil {
			return clip, err
		}
	}
	if len(clip.AccessUnits) != n {
		return clip, fmt.Errorf("clip: %d access units for %d frames", len(clip.AccessUnits), n)
	}
	return clip, nil
}

func hueToChroma(hue int) (cb, cr float64) {
	// A point on the Cb/Cr plane at angle hue, radius 40: clearly coloured,
	// far from saturated.
	const r = 40
	s, c := math.Sincos(float64(hue) * math.Pi / 180)
	return 128 + r*c, 128 + r*s
}

func drawDemoFrame(f *transcode.Frame, i, fps int, cb, cr float64) {
	w, h := f.Width(), f.Height()
	y, ys := f.Plane(0)
	u, us := f.Plane(1)
	v, vs := f.Plane(2)
	shift := i * 3
	for row := 0; row < h; row++ {
		line := y[row*ys : row*ys+w]
		for x := range line {
			// A soft diagonal gradient that drifts, between 40 and 168.
			v := (x + row + shift) % 512
			if v > 255 {
				v = 511 - v
			}
			line[x] = byte(40 + v/2)
		}
	}
	for row := 0; row < h/2; row++ {
		lu, lv := u[row*us:row*us+w/2], v[row*vs:row*vs+w/2]
		for x := range lu {
			lu[x] = byte(cb + float64(x-w/4)/16)
			lv[x] = byte(cr + float64(row-h/4)/16)
		}
	}
	// An object crossing the picture every 4 s.
	bw, bh := w/8, h/6
	bx := (i*(w+bw)/(4*fps))%(w+bw) - bw
	by := h / 2
	transcode.FillRect(f, bx, by, bw, bh, 220, 128, 128)
	// A clock bar: one block per second of the clip, the current one lit.
	blocks := 10
	sec := (i / fps) % blocks
	for k := 0; k < blocks; k++ {
		lum := byte(60)
		if k == sec {
			lum = 235
		}
		transcode.FillRect(f, w/20+k*(w/14), h/14, w/20, h/20, lum, 128, 128)
	}
}
