package pipeline

import (
	"bytes"
	"testing"

	"github.com/camgate/camgate/transcode"
)

func TestIntermediateFor(t *testing.T) {
	frame := func(w, h int) *transcode.Frame {
		f, err := transcode.NewFrame(w, h)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	sub, main := frame(640, 360), frame(1280, 720)
	both := []scaledPicture{{main, transcode.ScaleArea}, {sub, transcode.ScaleArea}}
	for _, tc := range []struct {
		name   string
		scaled []scaledPicture
		alg    transcode.ScaleAlgorithm
		w, h   int
		want   *transcode.Frame
	}{
		{"no output scaled this picture", nil, transcode.ScaleArea, 426, 240, nil},
		{"the smallest that serves", both, transcode.ScaleArea, 426, 240, sub},
		{"the tile's size exactly", both, transcode.ScaleArea, 640, 360, sub},
		{"too close to the tile's size: the source", []scaledPicture{{sub, transcode.ScaleArea}}, transcode.ScaleArea, 600, 340, nil},
		{"too small for the tile: the larger", both, transcode.ScaleArea, 800, 450, main},
		{"another algorithm: the source", both, transcode.ScaleBicubic, 426, 240, nil},
		{"letterboxed 4:3 in a 16:9 tile", both, transcode.ScaleArea, 320, 240, sub},
	} {
		if got := intermediateFor(tc.scaled, tc.alg, tc.w, tc.h, 1920, 1080); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	// An output at the source's size (a transcoded main) saves nothing.
	if got := intermediateFor([]scaledPicture{{frame(1920, 1080), transcode.ScaleArea}}, transcode.ScaleArea, 426, 240, 1920, 1080); got != nil {
		t.Errorf("an output at the source's size was chosen")
	}
}

// TestTileFromOutputPicture feeds tiles a 1080p picture together with the
// sub stream's 640×360 of it: a 426×240 tile is made from the 640×360 and
// looks like the one made from 1080p, a 640×360 tile is the sub's picture
// itself, and a tile of another algorithm scales the source.
func TestTileFromOutputPicture(t *testing.T) {
	src, err := transcode.NewFrame(1920, 1080)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for p := 0; p < 3; p++ {
		plane, stride := src.Plane(p)
		for y := 0; y < len(plane)/stride; y++ {
			for x := 0; x < stride; x++ {
				plane[y*stride+x] = byte((x*7)/(p+3) + y*(p+1) + (x*y)>>9)
			}
		}
	}
	sub, err := transcode.NewScaler(640, 360, transcode.ScaleArea)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	mid, err := sub.Scale(src)
	if err != nil {
		t.Fatal(err)
	}
	scaled := []scaledPicture{{mid, transcode.ScaleArea}}

	g := &Grid{}
	g.watched.Store(true)
	tile := func(w, h int, alg transcode.ScaleAlgorithm, from []scaledPicture) (*tileSink, *transcode.Frame) {
		f, err := transcode.NewFrame(w, h)
		if err != nil {
			t.Fatal(err)
		}
		s := &tileSink{slot: &tileSlot{w: w, h: h, tile: f}, grid: g, fit: FitStretch, alg: alg, gate: NewFrameRateGate(15)}
		s.push(src, from)
		t.Cleanup(func() { s.close(); f.Close() })
		if s.slot.updated.IsZero() {
			t.Fatalf("%dx%d tile not drawn", w, h)
		}
		return s, f
	}
	direct, directPic := tile(426, 240, transcode.ScaleArea, nil)
	cascaded, cascadedPic := tile(426, 240, transcode.ScaleArea, scaled)
	if direct.second != nil || cascaded.second == nil {
		t.Fatalf("second scaler: direct %v, cascaded %v; want only the cascaded tile to have one", direct.second != nil, cascaded.second != nil)
	}
	// Made from the sub's picture: the same bytes as a scaler of the sub's
	// picture gives, and not those of the direct scale. (What the cascade
	// costs in quality on a camera's picture is measured in
	// bench/cascade_test.go: 44.8 dB PSNR at worst.)
	ref, err := transcode.NewScaler(426, 240, transcode.ScaleArea)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	want, err := ref.Scale(mid)
	if err != nil {
		t.Fatal(err)
	}
	if !samePixels(cascadedPic, want) {
		t.Error("the 426x240 tile is not the sub's picture scaled")
	}
	if samePixels(directPic, want) {
		t.Error("the direct tile equals the cascaded one: the test cannot tell them apart")
	}
	same, samePic := tile(640, 360, transcode.ScaleArea, scaled)
	if same.second != nil {
		t.Error("a tile of the sub's size scaled the sub's picture again")
	}
	if !samePixels(samePic, mid) {
		t.Error("the 640x360 tile differs from the sub's picture")
	}

	other, _ := tile(426, 240, transcode.ScaleBicubic, scaled)
	if other.second != nil {
		t.Error("a bicubic tile was made from the sub's area-scaled picture")
	}
}

// samePixels tells whether two pictures of one size have the same pixels.
func samePixels(a, b *transcode.Frame) bool {
	if a.Width() != b.Width() || a.Height() != b.Height() {
		return false
	}
	for p := 0; p < 3; p++ {
		pa, sa := a.Plane(p)
		pb, sb := b.Plane(p)
		w, h := a.Width(), a.Height()
		if p > 0 {
			w, h = (w+1)/2, (h+1)/2
		}
		for y := 0; y < h; y++ {
			if !bytes.Equal(pa[y*sa:y*sa+w], pb[y*sb:y*sb+w]) {
				return false
			}
		}
	}
	return true
}
