package bench

import (
	"fmt"
	"io"
	"time"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/transcode"
)

// CascadeTiles are the tile sizes of 3×3, 4×4 and 5×5 grids at 1280×720.
var CascadeTiles = [][2]int{{426, 240}, {320, 180}, {256, 144}}

// CascadeResult is one tile size made through an intermediate picture (the
// sub stream's) against the direct scale from the camera's picture.
type CascadeResult struct {
	Tile              [2]int
	Via               [2]int
	MeanPSNR, MinPSNR float64
	Frames            int
}

// InvisiblePSNR is the PSNR above which a cascaded tile is taken as
// indistinguishable from the direct scale.
const InvisiblePSNR = 40

// MeasureCascade decodes in and compares, for every picture, each tile size
// scaled from the decoded picture directly with the same size scaled from
// the picture at via, both with alg: what camgate's cascade changes
// (pipeline/cascade.go).
func MeasureCascade(in *Input, via [2]int, tiles [][2]int, alg transcode.ScaleAlgorithm) ([]CascadeResult, error) {
	c := codec.H264
	if in.HEVC {
		c = codec.H265
	}
	dec, err := transcode.NewDecoder(transcode.DecoderConfig{Codec: c})
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	mid, err := transcode.NewScaler(via[0], via[1], alg)
	if err != nil {
		return nil, err
	}
	defer mid.Close()
	type pair struct{ direct, cascaded *transcode.Scaler }
	pairs := make([]pair, len(tiles))
	defer func() {
		for _, p := range pairs {
			if p.direct != nil {
				p.direct.Close()
			}
			if p.cascaded != nil {
				p.cascaded.Close()
			}
		}
	}()
	res := make([]CascadeResult, len(tiles))
	for i, s := range tiles {
		if pairs[i].direct, err = transcode.NewScaler(s[0], s[1], alg); err != nil {
			return nil, err
		}
		if pairs[i].cascaded, err = transcode.NewScaler(s[0], s[1], alg); err != nil {
			return nil, err
		}
		res[i] = CascadeResult{Tile: s, Via: via, MinPSNR: 1000}
	}
	compare := func(f *transcode.Frame) error {
		m, err := mid.Scale(f)
		if err != nil {
			return err
		}
		for i, p := range pairs {
			a, err := p.direct.Scale(f)
			if err != nil {
				return err
			}
			b, err := p.cascaded.Scale(m)
			if err != nil {
				return err
			}
			db, err := transcode.PSNR(a, b)
			if err != nil {
				return err
			}
			res[i].MeanPSNR += db
			res[i].MinPSNR = min(res[i].MinPSNR, db)
			res[i].Frames++
		}
		return nil
	}
	frame := time.Second / time.Duration(max(in.FPS, 1))
	for i, nalus := range in.AUs {
		au := codec.AccessUnit{NALUs: nalus, PTS: time.Duration(i) * frame, Keyframe: codec.IsKeyframe(c, nalus)}
		if err := dec.Send(&au); err != nil {
			continue // a damaged picture of a recorded stream: the others count
		}
		for f, err := dec.Receive(); f != nil || err != nil; f, err = dec.Receive() {
			if err != nil {
				break
			}
			if err := compare(f); err != nil {
				return nil, err
			}
		}
	}
	for i := range res {
		if res[i].Frames == 0 {
			return nil, fmt.Errorf("cascade: no picture of %s decoded", in.Name)
		}
		res[i].MeanPSNR /= float64(res[i].Frames)
	}
	return res, nil
}

// CascadeEligible tells whether camgate makes a tile of size tile from an
// output's picture of size via (pipeline/cascade.go): the same size, or at
// least 1.5× the tile each way, where the second scale stays invisible.
func CascadeEligible(via, tile [2]int) bool {
	return via == tile || (2*via[0] >= 3*tile[0] && 2*via[1] >= 3*tile[1])
}

// WriteCascade prints the results and what camgate does with each tile size.
func WriteCascade(w io.Writer, res []CascadeResult) {
	for _, r := range res {
		var verdict string
		switch {
		case !CascadeEligible(r.Via, r.Tile):
			verdict = "camgate scales such tiles from the camera's picture (the sub's is not 1.5× the tile)"
		case r.MinPSNR < InvisiblePSNR:
			verdict = fmt.Sprintf("visible (below %d dB): such tiles are better scaled from the camera's picture", InvisiblePSNR)
		default:
			verdict = "invisible: camgate makes such tiles from the sub's picture"
		}
		fmt.Fprintf(w, "tile %dx%d through %dx%d against direct: PSNR mean %.1f dB, worst %.1f dB over %d pictures — %s\n",
			r.Tile[0], r.Tile[1], r.Via[0], r.Via[1], r.MeanPSNR, r.MinPSNR, r.Frames, verdict)
	}
}
