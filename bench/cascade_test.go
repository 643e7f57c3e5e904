package bench

import (
	"testing"

	"github.com/camgate/camgate/transcode"
)

// The cascade: a camera whose 1080p pictures feed both a 640×360 sub stream
// and a smaller grid tile scales each picture once to 640×360, and the tile
// from that, instead of scaling the 1080p picture twice. libswscale's
// horizontal pass reads every source pixel, so its cost follows the source
// size far more than the output size: the second scale from 640×360 costs
// about a ninth of one from 1080p.

// TestCascadedScaleInvisible measures what the cascade changes: each tile
// size of the 3×3, 4×4 and 5×5 grids at 1280×720, scaled from 1080p directly
// and through 640×360 (area both times, camgate's default), compared. It must
// stay above 40 dB PSNR at worst, where no viewer of a grid tile can tell,
// or the pipeline must keep the direct path.
func TestCascadedScaleInvisible(t *testing.T) {
	aus, _, err := LoadClip(clip1080)
	if err != nil {
		t.Fatal(err)
	}
	res, err := MeasureCascade(&Input{Name: clip1080, AUs: aus, FPS: 25}, [2]int{640, 360}, CascadeTiles, transcode.ScaleArea)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		t.Logf("%dx%d through 640x360 against direct from 1080p: PSNR mean %.1f dB, worst %.1f dB over %d frames", r.Tile[0], r.Tile[1], r.MeanPSNR, r.MinPSNR, r.Frames)
		if r.Frames != len(aus) {
			t.Errorf("%dx%d: %d pictures compared, want all %d", r.Tile[0], r.Tile[1], r.Frames, len(aus))
		}
		if r.MinPSNR < InvisiblePSNR {
			t.Errorf("%dx%d: worst PSNR %.1f dB: the cascade is visible", r.Tile[0], r.Tile[1], r.MinPSNR)
		}
	}
}

// BenchmarkScaleCascade compares, per 1080p picture, a 640×360 sub plus a
// 426×240 tile scaled each from 1080p ("direct") with the tile scaled from
// the sub's 640×360 picture ("cascade"); "tile-from-360p" is the second
// step alone.
func BenchmarkScaleCascade(b *testing.B) {
	frames := decodedFrames(b, 1920, 1080)
	sub, err := transcode.NewScaler(640, 360, transcode.ScaleArea)
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	tile, err := transcode.NewScaler(426, 240, transcode.ScaleArea)
	if err != nil {
		b.Fatal(err)
	}
	defer tile.Close()
	fromMid, err := transcode.NewScaler(426, 240, transcode.ScaleArea)
	if err != nil {
		b.Fatal(err)
	}
	defer fromMid.Close()
	run := func(name string, step func(f *transcode.Frame) error) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := step(frames[i%len(frames)]); err != nil {
					b.Fatal(err)
				}
			}
			report(b)
		})
	}
	run("direct", func(f *transcode.Frame) error {
		if _, err := sub.Scale(f); err != nil {
			return err
		}
		_, err := tile.Scale(f)
		return err
	})
	run("cascade", func(f *transcode.Frame) error {
		m, err := sub.Scale(f)
		if err != nil {
			return err
		}
		_, err = fromMid.Scale(m)
		return err
	})
	m, err := sub.Scale(frames[0])
	if err != nil {
		b.Fatal(err)
	}
	run("tile-from-360p", func(*transcode.Frame) error {
		_, err := fromMid.Scale(m)
		return err
	})
}
