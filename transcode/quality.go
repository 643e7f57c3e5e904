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

// SSIM returns the structural similarity of two pictures of the same size,
// computed exactly as libav's ssim filter does (the x264 formulation): sums
// over 4×4 blocks, combined into overlapping 8×8 windows that step by 4 pixels,
// per plane; the result is the mean of the three planes weighted by their
// number of samples, the filter's "All". 1 means identical.
func SSIM(a, b *Frame) (float64, error) {
	if a.Width() != b.Width() || a.Height() != b.Height() {
		return 0, fmt.Errorf("ssim: sizes differ: %dx%d and %dx%d", a.Width(), a.Height(), b.Width(), b.Height())
	}
	var sum, weight float64
	for i := 0; i < 3; i++ {
		w, h := a.Width(), a.Height()
		if i > 0 {
			w, h = (w+1)/2, (h+1)/2
		}
		if w < 8 || h < 8 {
			return 0, fmt.Errorf("ssim: %dx%d is too small (planes of at least 8×8)", a.Width(), a.Height())
		}
		pa, sa := a.Plane(i)
		pb, sb := b.Plane(i)
		n := float64(w * h)
		sum += n * ssimPlane(pa, sa, pb, sb, w, h)
		weight += n
	}
	return sum / weight, nil
}

// blockSums are the sums of one 4×4 block: of a, of b, of a²+b², of a·b.
type blockSums [4]int

// ssimPlane follows libav's ssim_plane: two rows of 4×4 block sums, and each
// 8×8 window the sum of 2×2 blocks.
func ssimPlane(a []byte, sa int, b []byte, sb int, w, h int) float64 {
	bw, bh := w>>2, h>>2
	row0, row1 := make([]blockSums, bw), make([]blockSums, bw)
	blockRow := func(dst []blockSums, by int) {
		for bx := range dst {
			var s blockSums
			for y := 0; y < 4; y++ {
				ra := a[(4*by+y)*sa+4*bx:]
				rb := b[(4*by+y)*sb+4*bx:]
				for x := 0; x < 4; x++ {
					va, vb := int(ra[x]), int(rb[x])
					s[0] += va
					s[1] += vb
					s[2] += va*va + vb*vb
					s[3] += va * vb
				}
			}
			dst[bx] = s
		}
	}
	var total float64
	blockRow(row1, 0)
	for by := 1; by < bh; by++ {
		row0, row1 = row1, row0
		blockRow(row1, by)
		for bx := 0; bx < bw-1; bx++ {
			var s blockSums
			for k := range s {
				s[k] = row0[bx][k] + row0[bx+1][k] + row1[bx][k] + row1[bx+1][k]
			}
			total += ssimWindow(s)
		}
	}
	return total / float64((bh-1)*(bw-1))
}

// ssimWindow is libav's ssim_end1 for one 8×8 window (64 samples), in the
// same single-precision arithmetic so the results agree to the last digit.
func ssimWindow(s blockSums) float64 {
	const (
		c1 = 416    // (int)(.01*.01*255*255*64 + .5)
		c2 = 235963 // (int)(.03*.03*255*255*64*63 + .5)
	)
	s1, s2, ss, s12 := s[0], s[1], s[2], s[3]
	vars := ss*64 - s1*s1 - s2*s2
	covar := s12*64 - s1*s2
	return float64(float32(2*s1*s2+c1) * float32(2*covar+c2) /
		(float32(s1*s1+s2*s2+c1) * float32(vars+c2)))
}
