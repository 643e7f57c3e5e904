package pipeline

import "github.com/camgate/camgate/transcode"

// Scaling each picture once per size.
//
// A camera's 1080p picture that feeds a 640×360 sub stream and a 426×240
// grid tile used to be scaled from 1080p twice. libswscale's passes read
// every source pixel, so a scale costs about what its source size says,
// whatever its output: the tile costs almost as much as the sub. When an
// output has scaled the very picture a tile wants, the tile scales the
// output's picture instead, a ninth of the pixels (or copies it, when it is
// of the tile's size already).
//
// Measured with the 1080p test clip (bench/cascade_test.go): a 426×240
// tile made from 640×360 differs from the direct scale by 44.8 dB PSNR at
// worst (320×180: 55.2 dB, 256×144: 49.8 dB), far beyond what x264 keeps at
// a grid's bitrate, for 0.64× the CPU of the two direct scales. Below a
// ratio of 1.5 between the intermediate and the tile, the second pass
// resamples nearly in place and blurs more than it saves, so such a tile
// keeps the direct path; so does a tile whose algorithm differs from the
// output's, since its look is the operator's choice.

// maxOutputs is how many outputs a camera has at most: a transcoded main
// and a sub stream.
const maxOutputs = 2

// scaledPicture is a whole picture of the camera scaled by one of its
// outputs, valid while the decoder hands out the picture it came from.
type scaledPicture struct {
	frame *transcode.Frame
	alg   transcode.ScaleAlgorithm
}

// intermediateFor returns the picture among scaled that a tile of the
// algorithm alg, showing the source at w×h, is best made from: the smallest
// that is of that size exactly, or at least 1.5 times as large each way and
// smaller than the source. It returns nil when the source itself is best.
func intermediateFor(scaled []scaledPicture, alg transcode.ScaleAlgorithm, w, h, srcW, srcH int) *transcode.Frame {
	var best *transcode.Frame
	for _, s := range scaled {
		f := s.frame
		fw, fh := f.Width(), f.Height()
		if s.alg != alg || fw >= srcW && fh >= srcH {
			continue
		}
		exact := fw == w && fh == h
		if !exact && (2*fw < 3*w || 2*fh < 3*h) {
			continue
		}
		if best == nil || fw*fh < best.Width()*best.Height() {
			best = f
		}
	}
	return best
}
