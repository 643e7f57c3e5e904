package transcode

import (
	"fmt"
	"math"
)

// MaxPSNR is the value PSNR reports for identical pictures, where the true
// value is infinite; 100 dB is far above anything lossy coding reaches.
const MaxPSNR = 100.0

// PSNR returns the peak signal-to-noise ratio in dB between two pictures of the
// same size, over all three planes weighted by their number of samples (4:1:1
// for 4:2:0), as libav's psnr filter computes its "average".
func PSNR(a, b *Frame) (float64, error) {
	if a.Width() != b.Width() || a.Height() != b.Height() {
		return 0, fmt.Errorf("psnr: sizes differ: %dx%d and %dx%d", a.Width(), a.Height(), b.Width(), b.Height())
	}
	var sse float64
	var n int
	for i := 0; i < 3; i++ {
		w, h := a.Width(), a.Height()
		if i > 0 {
			w, h = (w+1)/2, (h+1)/2
		}
		pa, sa := a.Plane(i)
		pb, sb := b.Plane(i)
		for y := 0; y < h; y++ {
			ra, rb := pa[y*sa:y*sa+w], pb[y*sb:y*sb+w]
			for x := range ra {
				d := float64(int(ra[x]) - int(rb[x]))
				sse += d * d
			}
		}
		n += w * h
	}
	if sse == 0 {
		return MaxPSNR, nil
	}
	mse := sse / float64(n)
	return math.Min(MaxPSNR, 10*math.Log10(255*255/mse)), nil
}
