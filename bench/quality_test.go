package bench

import (
	"github.com/camgate/camgate/codec"
	"testing"
	"time"

	"github.com/camgate/camgate/transcode"
)

// TestSkipLoopFilterInvisibleDownscaled measures what skipping the deblocking
// filter on non-key pictures (camgate's default decoder setting) changes in
// the pictures its outputs see: the 1080p clip decoded both ways, scaled to
// 640x360, compared. It must stay far above what any encoder keeps (PSNR
// well over 40 dB), or the saving is not free.
func TestSkipLoopFilterInvisibleDownscaled(t *testing.T) {
	aus, _, err := LoadClip(clip1080)
	if err != nil {
		t.Fatal(err)
	}
	open := func(skip bool) (*transcode.Decoder, *transcode.Scaler) {
		d, err := transcode.NewDecoder(transcode.DecoderConfig{Codec: codec.H264, SkipLoopFilter: skip})
		if err != nil {
			t.Fatal(err)
		}
		s, err := transcode.NewScaler(640, 360, transcode.ScaleArea)
		if err != nil {
			t.Fatal(err)
		}
		return d, s
	}
	fullDec, fullSc := open(false)
	fastDec, fastSc := open(true)
	defer fullDec.Close()
	defer fullSc.Close()
	defer fastDec.Close()
	defer fastSc.Close()
	var sum, worst float64 = 0, 1000
	n := 0
	for i, au := range aus {
		u := codec.AccessUnit{NALUs: au, PTS: time.Duration(i) * 40 * time.Millisecond, Keyframe: codec.IsKeyframe(codec.H264, au)}
		if err := fullDec.Send(&u); err != nil {
			t.Fatal(err)
		}
		if err := fastDec.Send(&u); err != nil {
			t.Fatal(err)
		}
		a, _ := fullDec.Receive()
		b, _ := fastDec.Receive()
		if a == nil || b == nil {
			t.Fatalf("frame %d missing", i)
		}
		sa, _ := fullSc.Scale(a)
		sb, _ := fastSc.Scale(b)
		p, err := transcode.PSNR(sa, sb)
		if err != nil {
			t.Fatal(err)
		}
		sum += p
		worst = min(worst, p)
		n++
	}
	t.Logf("640x360 with and without deblocking of non-key pictures: PSNR mean %.1f dB, worst %.1f dB over %d frames", sum/float64(n), worst, n)
	if worst < 40 {
		t.Errorf("worst PSNR %.1f dB: skipping the loop filter is visible at 640x360", worst)
	}
}
