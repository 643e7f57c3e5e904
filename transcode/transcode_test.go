package transcode

import (
	"bytes"
	"image/jpeg"
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/camgate/camgate/codec"
)

const frameDur = 40 * time.Millisecond // the clips are 25 fps

func loadClip(t testing.TB, name string) [][][]byte {
	t.Helper()
	aus, _, err := codec.ReadAnnexBFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return aus
}

func newDecoder(t testing.TB, c codec.Codec) *Decoder {
	t.Helper()
	d, err := NewDecoder(DecoderConfig{Codec: c})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// unitFor makes an access unit for decoder d, its keyframe flag computed as
// camgate's ingest computes it.
func unitFor(d *Decoder, nalus [][]byte, pts time.Duration) *codec.AccessUnit {
	return &codec.AccessUnit{NALUs: nalus, PTS: pts, Keyframe: codec.IsKeyframe(d.cfg.Codec, nalus)}
}

// decodeAll decodes every access unit and calls fn with each picture.
func decodeAll(t testing.TB, d *Decoder, aus [][][]byte, fn func(i int, f *Frame)) {
	t.Helper()
	n := 0
	for i, au := range aus {
		if err := d.Send(unitFor(d, au, time.Duration(i)*frameDur)); err != nil {
			t.Fatalf("access unit %d: %v", i, err)
		}
		for {
			f, err := d.Receive()
			if err != nil {
				t.Fatalf("access unit %d: %v", i, err)
			}
			if f == nil {
				break
			}
			fn(n, f)
			n++
		}
	}
}

func TestDecodeClips(t *testing.T) {
	for _, tc := range []struct {
		clip  string
		codec codec.Codec
		sizes map[[2]int]int // size → frames
	}{
		{"cam1080p25.h264", codec.H264, map[[2]int]int{{1920, 1080}: 100}},
		{"cam720p25.hevc", codec.H265, map[[2]int]int{{1280, 720}: 100}},
		{"reschange.h264", codec.H264, map[[2]int]int{{640, 360}: 50, {480, 272}: 50}},
	} {
		t.Run(tc.clip, func(t *testing.T) {
			d := newDecoder(t, tc.codec)
			got := map[[2]int]int{}
			var lastPTS time.Duration = -1
			decodeAll(t, d, loadClip(t, tc.clip), func(i int, f *Frame) {
				got[[2]int{f.Width(), f.Height()}]++
				if f.PTS() != time.Duration(i)*frameDur || f.PTS() <= lastPTS {
					t.Errorf("frame %d: pts %v, want %v", i, f.PTS(), time.Duration(i)*frameDur)
				}
				lastPTS = f.PTS()
			})
			if len(got) != len(tc.sizes) {
				t.Fatalf("sizes %v, want %v", got, tc.sizes)
			}
			for size, n := range tc.sizes {
				if got[size] != n {
					t.Errorf("%dx%d: %d frames, want %d (all: %v)", size[0], size[1], got[size], n, got)
				}
			}
			if s := d.Stats(); s.Errors != 0 || s.Frames != 100 || s.AccessUnits != 100 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestDecoderFastOptions(t *testing.T) {
	for _, cfg := range []DecoderConfig{
		{Codec: codec.H264, SkipLoopFilter: true},
		{Codec: codec.H264, Threads: 2},
		{Codec: codec.H265, SkipLoopFilter: true},
	} {
		d, err := NewDecoder(cfg)
		if err != nil {
			t.Fatalf("%+v: %v", cfg, err)
		}
		clip := "reschange.h264"
		if cfg.Codec == codec.H265 {
			clip = "cam720p25.hevc"
		}
		n := 0
		decodeAll(t, d, loadClip(t, clip), func(int, *Frame) { n++ })
		// With two threads, the last frame waits in the pipeline: flush it.
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
		for f, err := d.Receive(); f != nil || err != nil; f, err = d.Receive() {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		d.Close()
		if n != 100 {
			t.Errorf("%+v: %d frames, want 100", cfg, n)
		}
	}
}

func TestDecoderParameterSetsFromSDP(t *testing.T) {
	// A camera that sends SPS/PPS only in its SDP: strip them from the stream
	// and hand them to the decoder at creation.
	aus := loadClip(t, "reschange.h264")[:50]
	var params [][]byte
	for i, au := range aus {
		var rest [][]byte
		for _, n := range au {
			if typ := n[0] & 0x1f; typ == 7 || typ == 8 {
				if i == 0 {
					params = append(params, n)
				}
				continue
			}
			rest = append(rest, n)
		}
		aus[i] = rest
	}
	if len(params) != 2 {
		t.Fatalf("found %d parameter sets in the first access unit, want SPS and PPS", len(params))
	}
	d, err := NewDecoder(DecoderConfig{Codec: codec.H264, ParameterSets: params})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	n := 0
	decodeAll(t, d, aus, func(int, *Frame) { n++ })
	if n != 50 {
		t.Errorf("decoded %d frames, want 50", n)
	}
}

func TestScaler(t *testing.T) {
	s, err := NewScaler(320, 180, ScaleBilinear)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := newDecoder(t, codec.H264)
	n, reconfigs := 0, 0
	decodeAll(t, d, loadClip(t, "reschange.h264"), func(i int, f *Frame) {
		sws := s.sws
		out, err := s.Scale(f)
		if sws != nil && s.sws != sws { // sws is held: its address is not reused
			reconfigs++
		}
		if err != nil {
			t.Fatal(err)
		}
		if out.Width() != 320 || out.Height() != 180 || out.PTS() != f.PTS() {
			t.Fatalf("frame %d: scaled to %dx%d pts %v, want 320x180 pts %v", i, out.Width(), out.Height(), out.PTS(), f.PTS())
		}
		n++
	})
	if n != 100 || reconfigs != 1 {
		t.Errorf("%d frames, %d reconfigurations; want 100 and 1 (at the resolution change)", n, reconfigs)
	}
	for _, bad := range [][2]int{{0, 0}, {641, 360}, {8, 8}, {10000, 100}} {
		if s, err := NewScaler(bad[0], bad[1], ScaleBilinear); err == nil {
			s.Close()
			t.Errorf("NewScaler(%dx%d) accepted", bad[0], bad[1])
		}
	}
	if _, err := ParseScaleAlgorithm("bogus"); err == nil {
		t.Error("ParseScaleAlgorithm(bogus) accepted")
	}
	if a, err := ParseScaleAlgorithm("area"); err != nil || a != ScaleArea {
		t.Errorf("ParseScaleAlgorithm(area) = %v, %v", a, err)
	}
}

// nalTypes lists the H.264 NAL unit types of an access unit.
func nalTypes(au [][]byte) []byte {
	var ts []byte
	for _, n := range au {
		ts = append(ts, n[0]&0x1f)
	}
	return ts
}

// hasIDRWithHeaders tells whether an access unit is an IDR preceded by SPS and PPS.
func hasIDRWithHeaders(au [][]byte) (idr, headers bool) {
	var sps, pps bool
	for _, n := range au {
		switch n[0] & 0x1f {
		case 7:
			sps = true
		case 8:
			pps = true
		case 5:
			return true, sps && pps
		}
	}
	return false, false
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	const gop, forceAt = 25, 10
	aus := loadClip(t, "cam1080p25.h264")
	dec := newDecoder(t, codec.H264)
	sc, err := NewScaler(640, 360, ScaleBilinear)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	enc, err := NewEncoder(EncoderConfig{Width: 640, Height: 360, FPS: 25, GOP: gop, Bitrate: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	check := newDecoder(t, codec.H264)

	var idrs []int
	var psnrSum, psnrMin float64 = 0, 1000
	var encoded, decoded, bytes int
	var lastPTS time.Duration = -1
	decodeAll(t, dec, aus, func(i int, f *Frame) {
		src, err := sc.Scale(f)
		if err != nil {
			t.Fatal(err)
		}
		if i == forceAt {
			enc.ForceKeyframe()
		}
		if err := enc.Send(src); err != nil {
			t.Fatal(err)
		}
		for {
			au, err := enc.Receive()
			if err != nil {
				t.Fatal(err)
			}
			if au == nil {
				break
			}
			idr, headers := hasIDRWithHeaders(au.NALUs)
			if idr != au.Keyframe {
				t.Errorf("frame %d: keyframe flag %v but IDR %v (NAL types %v)", encoded, au.Keyframe, idr, nalTypes(au.NALUs))
			}
			if idr {
				idrs = append(idrs, encoded)
				if !headers {
					t.Errorf("frame %d: IDR without SPS and PPS in front (NAL types %v)", encoded, nalTypes(au.NALUs))
				}
			}
			// No B-frames: the DTS of the packet Receive just read is its
			// PTS, which is why access units carry a PTS only.
			if dts := codec.Duration(enc.pkt.dts(), codec.VideoClockRate); au.PTS <= lastPTS || dts != au.PTS {
				t.Errorf("frame %d: pts %v dts %v after %v", encoded, au.PTS, dts, lastPTS)
			}
			lastPTS = au.PTS
			for _, n := range au.NALUs {
				bytes += len(n) + 4
			}
			encoded++
			if err := check.Send(unitFor(check, au.NALUs, au.PTS)); err != nil {
				t.Fatal(err)
			}
			for {
				out, err := check.Receive()
				if err != nil {
					t.Fatal(err)
				}
				if out == nil {
					break
				}
				// zerolatency: the picture comes back before the next one is
				// scaled, so src is still the source of this one.
				p, err := PSNR(src, out)
				if err != nil {
					t.Fatal(err)
				}
				psnrSum += p
				psnrMin = min(psnrMin, p)
				decoded++
			}
		}
	})
	if encoded != 100 || decoded != 100 {
		t.Fatalf("encoded %d, decoded back %d; want 100 and 100", encoded, decoded)
	}
	// A forced IDR restarts the GOP: 0, 10, then every 25 frames.
	want := []int{0, forceAt, forceAt + gop, forceAt + 2*gop, forceAt + 3*gop}
	if len(idrs) != len(want) {
		t.Fatalf("IDRs at %v, want %v", idrs, want)
	}
	for i := range want {
		if idrs[i] != want[i] {
			t.Fatalf("IDRs at %v, want %v", idrs, want)
		}
	}
	mean := psnrSum / float64(decoded)
	kbps := float64(bytes) * 8 / 4 / 1000
	t.Logf("640x360 at 1 Mbit/s: PSNR mean %.2f dB, min %.2f dB, %.0f kbit/s", mean, psnrMin, kbps)
	if mean < 35 {
		t.Errorf("mean PSNR %.2f dB, want at least 35", mean)
	}
	if kbps < 500 || kbps > 1500 {
		t.Errorf("bitrate %.0f kbit/s, want about 1000", kbps)
	}
}

func TestEncoderKeepsTimestampsMonotonic(t *testing.T) {
	enc, err := NewEncoder(EncoderConfig{Width: 64, Height: 64, FPS: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	f, err := NewFrame(64, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A camera reconnects and its clock restarts at 0 after 5 s.
	in := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 0, 100 * time.Millisecond}
	var out []time.Duration
	for _, pts := range in {
		f.SetPTS(pts)
		if err := enc.Send(f); err != nil {
			t.Fatal(err)
		}
		for au, err := enc.Receive(); au != nil || err != nil; au, err = enc.Receive() {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, au.PTS)
		}
	}
	if len(out) != len(in) {
		t.Fatalf("%d access units out of %d frames", len(out), len(in))
	}
	for i := 1; i < len(out); i++ {
		if out[i] <= out[i-1] {
			t.Errorf("pts went from %v to %v", out[i-1], out[i])
		}
	}
}

func TestEncoderConfigValidation(t *testing.T) {
	for _, c := range []EncoderConfig{
		{Width: 641, Height: 360},
		{Width: 640, Height: 360, Preset: "warp"},
		{Width: 640, Height: 360, CRF: 60},
		{Width: 640, Height: 360, Bitrate: 1000, MaxRate: 500},
		{Width: 640, Height: 360, Profile: "baseline", BFrames: 2},
		{Width: 640, Height: 360, Tune: "fast"},
	} {
		if e, err := NewEncoder(c); err == nil {
			e.Close()
			t.Errorf("NewEncoder(%+v) accepted", c)
		}
	}
	c := EncoderConfig{Width: 640, Height: 360}.WithDefaults()
	if c.FPS != 15 || c.GOP != 30 || c.CRF != 23 || c.Preset != "veryfast" || c.Tune != "zerolatency" || c.Threads != 1 {
		t.Errorf("defaults %+v", c)
	}
}

// corruptDecode feeds aus, then the clean clip, and checks that pictures come
// back after the clean keyframe.
func corruptDecode(t *testing.T, name string, bad [][][]byte) {
	d := newDecoder(t, codec.H264)
	var errs int
	for i, au := range bad {
		if err := d.Send(unitFor(d, au, time.Duration(i)*frameDur)); err != nil {
			errs++
		}
		for {
			f, err := d.Receive()
			if err != nil {
				errs++
				continue
			}
			if f == nil {
				break
			}
		}
	}
	before := d.Stats()
	if before.Errors == 0 {
		t.Errorf("%s: no errors counted for %d damaged access units (stats %+v)", name, len(bad), before)
	}
	clean := loadClip(t, "reschange.h264")
	n := 0
	for i, au := range clean {
		if err := d.Send(unitFor(d, au, time.Duration(len(bad)+i)*frameDur)); err != nil {
			t.Fatalf("%s: clean access unit %d: %v", name, i, err)
		}
		for {
			f, err := d.Receive()
			if err != nil {
				t.Fatalf("%s: clean access unit %d: %v", name, i, err)
			}
			if f == nil {
				break
			}
			n++
		}
	}
	if n != len(clean) {
		t.Errorf("%s: %d of %d clean frames decoded after the damage", name, n, len(clean))
	}
	t.Logf("%s: %d returned errors, stats before recovery %+v", name, errs, before)
}

func TestCorruptInput(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	clip := loadClip(t, "reschange.h264")

	// Random bytes posing as IDR slices, so they reach the decoder.
	var random [][][]byte
	for i := 0; i < 50; i++ {
		n := make([]byte, 1+rng.Intn(4000))
		rng.Read(n)
		n[0] = 0x65
		random = append(random, [][]byte{n})
	}
	corruptDecode(t, "random", random)

	// Every NAL unit cut short.
	var truncated [][][]byte
	for _, au := range clip {
		var cut [][]byte
		for _, n := range au {
			cut = append(cut, n[:1+rng.Intn(len(n))])
		}
		truncated = append(truncated, cut)
	}
	corruptDecode(t, "truncated", truncated)

	// Bit flips in 5% of the access units.
	var flipped [][][]byte
	for i, au := range clip {
		var out [][]byte
		for _, n := range au {
			c := append([]byte(nil), n...)
			if i%20 == 7 && len(c) > 20 {
				for k := 0; k < 1+len(c)/200; k++ {
					j := 4 + rng.Intn(len(c)-4) // keep the NAL and slice header's start
					c[j] ^= 1 << rng.Intn(8)
				}
			}
			out = append(out, c)
		}
		flipped = append(flipped, out)
	}
	corruptDecode(t, "bitflips", flipped)
}

func TestCloseTwice(t *testing.T) {
	d, err := NewDecoder(DecoderConfig{Codec: codec.H265})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewScaler(64, 64, ScaleBicubic)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEncoder(EncoderConfig{Width: 64, Height: 64})
	if err != nil {
		t.Fatal(err)
	}
	j, err := NewJPEGEncoder(0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFrame(64, 64)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []interface{ Close() error }{d, s, e, j, f, d, s, e, j, f} {
		if err := c.Close(); err != nil {
			t.Errorf("%T.Close: %v", c, err)
		}
	}
	if _, err := NewDecoder(DecoderConfig{Codec: codec.Codec(9)}); err == nil {
		t.Error("NewDecoder accepted an unknown codec")
	}
}

func TestJPEG(t *testing.T) {
	d := newDecoder(t, codec.H264)
	j, err := NewJPEGEncoder(85)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	aus := loadClip(t, "cam1080p25.h264")[:1]
	decodeAll(t, d, aus, func(_ int, f *Frame) {
		// The same size again and again, as a dashboard asks every 5 s: the
		// second one once failed (mjpeg wants increasing PTS).
		for _, tc := range []struct{ width, w, h int }{{0, 1920, 1080}, {320, 320, 180}, {320, 320, 180}, {320, 320, 180}} {
			b, err := j.Encode(f, tc.width)
			if err != nil {
				t.Fatal(err)
			}
			img, err := jpeg.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("width %d: Go's image/jpeg cannot read the snapshot: %v", tc.width, err)
			}
			if r := img.Bounds(); r.Dx() != tc.w || r.Dy() != tc.h {
				t.Errorf("width %d: snapshot is %dx%d, want %dx%d", tc.width, r.Dx(), r.Dy(), tc.w, tc.h)
			}
			// The picture's brightness survives: mean luma of source and JPEG
			// (full range, converted back to video range) agree.
			src := meanLuma(f)
			var sum, n float64
			r := img.Bounds()
			for y := r.Min.Y; y < r.Max.Y; y += 4 {
				for x := r.Min.X; x < r.Max.X; x += 4 {
					cr, cg, cb, _ := img.At(x, y).RGBA()
					full := 0.299*float64(cr>>8) + 0.587*float64(cg>>8) + 0.114*float64(cb>>8)
					sum += 16 + full*219/255
					n++
				}
			}
			if got := sum / n; got < src-4 || got > src+4 {
				t.Errorf("width %d: mean luma %.1f, source %.1f", tc.width, got, src)
			}
		}
	})
	if _, err := NewJPEGEncoder(101); err == nil {
		t.Error("quality 101 accepted")
	}
}

func meanLuma(f *Frame) float64 {
	p, stride := f.Plane(0)
	var sum float64
	for y := 0; y < f.Height(); y++ {
		for _, v := range p[y*stride : y*stride+f.Width()] {
			sum += float64(v)
		}
	}
	return sum / float64(f.Width()*f.Height())
}

func TestPSNR(t *testing.T) {
	a, _ := NewFrame(64, 64)
	b, _ := NewFrame(64, 64)
	c, _ := NewFrame(32, 32)
	defer a.Close()
	defer b.Close()
	defer c.Close()
	a.Fill(100, 128, 128)
	b.Fill(100, 128, 128)
	if p, _ := PSNR(a, b); p != MaxPSNR {
		t.Errorf("identical pictures: PSNR %v, want %v", p, MaxPSNR)
	}
	// Luma off by 10 everywhere, chroma equal: MSE = 100 * 4/6.
	b.Fill(110, 128, 128)
	want := 10 * math.Log10(255*255/(100*4.0/6))
	if p, _ := PSNR(a, b); p < want-0.01 || p > want+0.01 {
		t.Errorf("PSNR %v, want %v", p, want)
	}
	if _, err := PSNR(a, c); err == nil {
		t.Error("PSNR of different sizes accepted")
	}
}

// TestSteadyStateAllocations checks that decode → scale → encode allocates
// nothing per frame on the Go side once running.
func TestSteadyStateAllocations(t *testing.T) {
	aus := loadClip(t, "cam1080p25.h264")
	dec := newDecoder(t, codec.H264)
	sc, err := NewScaler(640, 360, ScaleBilinear)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	enc, err := NewEncoder(EncoderConfig{Width: 640, Height: 360, FPS: 25, Preset: "ultrafast"})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	i := 0
	step := func() {
		au := aus[i%len(aus)]
		if err := dec.Send(unitFor(dec, au, time.Duration(i)*frameDur)); err != nil {
			t.Fatal(err)
		}
		i++
		for {
			f, err := dec.Receive()
			if err != nil {
				t.Fatal(err)
			}
			if f == nil {
				return
			}
			s, err := sc.Scale(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := enc.Send(s); err != nil {
				t.Fatal(err)
			}
			for {
				out, err := enc.Receive()
				if err != nil {
					t.Fatal(err)
				}
				if out == nil {
					break
				}
			}
		}
	}
	for j := 0; j < 60; j++ { // warm up: pools and buffers reach their size
		step()
	}
	if allocs := testing.AllocsPerRun(100, step); allocs != 0 {
		t.Errorf("%.2f allocations per frame, want 0", allocs)
	}
}

func TestLibraryVersions(t *testing.T) {
	v := LibraryVersions()
	if v.LibavCodec[:3] != "61." || v.X264Build < 150 || v.License == "" {
		t.Errorf("versions %+v: want libavcodec 61.x (FFmpeg 7) and x264", v)
	}
	t.Logf("FFmpeg %s, libavcodec %s, x264 build %d, %s", v.FFmpeg, v.LibavCodec, v.X264Build, v.License)
}

func TestBlitAndFill(t *testing.T) {
	dst, _ := NewFrame(64, 64)
	src, _ := NewFrame(32, 32)
	defer dst.Close()
	defer src.Close()
	dst.Fill(16, 128, 128)
	src.Fill(200, 90, 240)
	Blit(dst, 16, 16, src, 0, 0, 32, 32)
	at := func(x, y int) [3]byte {
		yp, ys := dst.Plane(0)
		up, us := dst.Plane(1)
		vp, vs := dst.Plane(2)
		return [3]byte{yp[y*ys+x], up[y/2*us+x/2], vp[y/2*vs+x/2]}
	}
	if got := at(20, 20); got != [3]byte{200, 90, 240} {
		t.Errorf("inside the blit: %v", got)
	}
	if got := at(10, 10); got != [3]byte{16, 128, 128} {
		t.Errorf("outside the blit: %v", got)
	}
	// Clipped at the edges: no panic, the visible part copied.
	Blit(dst, 48, 48, src, 0, 0, 32, 32)
	Blit(dst, -8, -8, src, 0, 0, 32, 32)
	if got := at(60, 60); got != [3]byte{200, 90, 240} {
		t.Errorf("clipped blit: %v", got)
	}
	FillRect(dst, 0, 0, 8, 8, 40, 1, 2)
	if got := at(2, 2); got != [3]byte{40, 1, 2} {
		t.Errorf("FillRect: %v", got)
	}
	if allocs := testing.AllocsPerRun(10, func() { Blit(dst, 16, 16, src, 0, 0, 32, 32) }); allocs != 0 {
		t.Errorf("Blit allocates %v", allocs)
	}
}

// TestEncoderParameterSets checks that the SPS and PPS an encoder announces
// before encoding are the ones it then sends in front of its IDRs, for
// settings that change them.
func TestEncoderParameterSets(t *testing.T) {
	f, err := NewFrame(320, 180)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Fill(90, 100, 150)
	for _, cfg := range []EncoderConfig{
		{Width: 320, Height: 180, FPS: 10},
		{Width: 320, Height: 180, FPS: 25, Preset: "medium", Bitrate: 300_000, Profile: "high", Tune: "none"},
		{Width: 320, Height: 180, FPS: 15, Preset: "ultrafast", CRF: 30, Profile: "baseline", Threads: 2},
	} {
		enc, err := NewEncoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ps := enc.ParameterSets()
		if len(ps) != 2 || ps[0][0]&0x1f != 7 || ps[1][0]&0x1f != 8 {
			enc.Close()
			t.Fatalf("%+v: parameter sets %x", cfg, ps)
		}
		var inBand [][]byte
		for i := 0; i <= 30 && inBand == nil; i++ {
			send := f
			if i == 30 {
				send = nil // the end: a lookahead gives back what it holds
			} else {
				f.SetPTS(time.Duration(i) * 100 * time.Millisecond)
			}
			if err := enc.Send(send); err != nil {
				t.Fatal(err)
			}
			for au, err := enc.Receive(); au != nil || err != nil; au, err = enc.Receive() {
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range au.NALUs {
					if t := n[0] & 0x1f; t == 7 || t == 8 {
						inBand = append(inBand, append([]byte(nil), n...))
					}
				}
			}
		}
		enc.Close()
		if len(inBand) != 2 || !bytes.Equal(inBand[0], ps[0]) || !bytes.Equal(inBand[1], ps[1]) {
			t.Errorf("%+v: announced SPS/PPS %x, in band %x", cfg, ps, inBand)
		}
	}
}
