package bench

import (
	"context"
	"math"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/transcode"
)

func TestParetoFront(t *testing.T) {
	//   Y
	//   5 |  a           a: (1,5) front: nothing has more Y
	//   4 |        b     b: (3,4) front
	//   3 |     c     d  c: (2,3) beaten by b; d: (4,3) front: most X
	//   2 |  e     f     e: (1,2) beaten by all; f: (3,2) beaten by b and d
	//   1 |           g  g: (4,1) beaten by d (same X, lower Y)
	//     +-------------- X
	pts := []Point{{1, 5}, {3, 4}, {2, 3}, {4, 3}, {1, 2}, {3, 2}, {4, 1}, {3, 4}}
	want := []bool{true, true, false, true, false, false, false, true} // the last is b's twin: equal points both stay
	got := ParetoFront(pts)
	for i := range pts {
		if got[i] != want[i] {
			t.Errorf("point %d %v: on front %v, want %v", i, pts[i], got[i], want[i])
		}
	}
	if f := ParetoFront(nil); len(f) != 0 {
		t.Errorf("empty set: %v", f)
	}
}

func TestApplyLoadFactor(t *testing.T) {
	rs := []Result{
		{CPUPerSecond: 0.10, LoadedCPUPerSecond: 0.11}, // 1.1
		{CPUPerSecond: 0.20, LoadedCPUPerSecond: 0.30}, // 1.5, an outlier the median ignores
		{CPUPerSecond: 0.05, LoadedCPUPerSecond: 0.06}, // 1.2
	}
	if f := ApplyLoadFactor(rs); math.Abs(f-1.2) > 1e-9 {
		t.Fatalf("factor %v, want the median 1.2", f)
	}
	cores := float64(runtime.NumCPU())
	for _, r := range rs {
		if want := cores / (r.CPUPerSecond * 1.2); math.Abs(r.StreamsPerMachine-want) > 1e-9 {
			t.Errorf("CPU %.2f: %.3f cameras per machine, want %.3f", r.CPUPerSecond, r.StreamsPerMachine, want)
		}
	}
	none := []Result{{CPUPerSecond: 0.1, StreamsPerMachine: 20}}
	if f := ApplyLoadFactor(none); f != 0 || none[0].StreamsPerMachine != 20 {
		t.Errorf("no loaded pass: factor %v, %v cameras", f, none[0].StreamsPerMachine)
	}
}

func TestRecommendAndSort(t *testing.T) {
	rs := []Result{
		{Label: "fast-ugly", StreamsPerMachine: 30, PSNR: 33, Bitrate: 300e3},
		{Label: "fast-fat", StreamsPerMachine: 25, PSNR: 40, Bitrate: 2e6},
		{Label: "balanced", StreamsPerMachine: 20, PSNR: 38, Bitrate: 600e3},
		{Label: "slow-good", StreamsPerMachine: 8, PSNR: 41, Bitrate: 550e3},
	}
	check := func(minPSNR, maxBR float64, want string) {
		t.Helper()
		r, ok := Recommend(rs, minPSNR, maxBR)
		if want == "" {
			if ok {
				t.Errorf("min %v dB, max %v: recommended %s, want none", minPSNR, maxBR, r.Label)
			}
			return
		}
		if !ok || r.Label != want {
			t.Errorf("min %v dB, max %v: recommended %q (%v), want %s", minPSNR, maxBR, r.Label, ok, want)
		}
	}
	check(35, 0, "fast-fat")
	check(35, 1e6, "balanced")
	check(30, 0, "fast-ugly")
	check(40.5, 0, "slow-good")
	check(45, 0, "")

	order := func(goal string) string {
		if err := SortByGoal(rs, goal); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rs {
			names = append(names, r.Label)
		}
		return strings.Join(names, " ")
	}
	if got := order("cameras"); got != "fast-ugly fast-fat balanced slow-good" {
		t.Errorf("by cameras: %s", got)
	}
	if got := order("quality"); got != "slow-good fast-fat balanced fast-ugly" {
		t.Errorf("by quality: %s", got)
	}
	if got := order("bitrate"); got != "fast-ugly slow-good balanced fast-fat" {
		t.Errorf("by bitrate: %s", got)
	}
	if err := SortByGoal(rs, "speed"); err == nil {
		t.Error("unknown goal accepted")
	}
}

func TestMatrix(t *testing.T) {
	ss, err := DefaultMatrix().Settings(25)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 30 {
		t.Errorf("default matrix: %d settings, want 5 presets × 3 rates × 2 sizes = 30", len(ss))
	}
	s := ss[0]
	if s.Encoder.Preset != "ultrafast" || s.Rate() != "crf23" || s.Width != 640 || s.FPS != 10 || s.Scale != transcode.ScaleArea || s.Deblock {
		t.Errorf("first setting %+v (%s)", s, s.Label())
	}

	m := Matrix{}
	for axis, v := range map[string]string{"rate": "crf=20, 1M", "fps": "5,25,50", "scale": "bilinear"} {
		if err := m.Set(axis, v); err != nil {
			t.Fatal(err)
		}
	}
	ss, err = m.Settings(25)
	if err != nil {
		t.Fatal(err)
	}
	// fps 25 and 50 collapse: an output has at most the input's frame rate.
	if len(ss) != 4 {
		t.Fatalf("%d settings, want 2 rates × fps {5, 25}", len(ss))
	}
	if ss[2].Encoder.Bitrate != 1_000_000 || ss[2].FPS != 5 || ss[3].FPS != 25 || ss[0].Encoder.CRF != 20 {
		t.Errorf("settings: %s / %s / %s / %s", ss[0].Label(), ss[1].Label(), ss[2].Label(), ss[3].Label())
	}
	if err := m.Set("colour", "red"); err == nil || !strings.Contains(err.Error(), "unknown axis") {
		t.Errorf("unknown axis: %v", err)
	}

	// A bad value is named once, with its axis, whatever the other axes hold.
	bad := DefaultMatrix()
	_ = bad.Set("preset", "veryfast,warp")
	_ = bad.Set("rate", "crf99")
	_, err = bad.Settings(25)
	if err == nil || strings.Count(err.Error(), "warp") != 1 || !strings.Contains(err.Error(), `rate "crf99"`) {
		t.Errorf("bad values: %v", err)
	}

	m, err = ParseMatrix([]byte("preset: [veryfast, faster]\nrate: crf23\nsize:\n  - 640x360\n  - 320x180\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ss, _ := m.Settings(25); len(ss) != 4 {
		t.Errorf("YAML matrix: %d settings, want 4", len(ss))
	}
	_, err = ParseMatrix([]byte("preset: veryfast\nsizes: [640x360]\nfps: {a: 1}\n"))
	if err == nil || !strings.Contains(err.Error(), `line 2: unknown axis "sizes"`) || !strings.Contains(err.Error(), "line 3: fps") {
		t.Errorf("YAML errors: %v", err)
	}
}

// TestConfigSnippetIsValidConfig feeds the recommendation's snippet to the
// configuration parser: a camera under it gets exactly the setting.
func TestConfigSnippetIsValidConfig(t *testing.T) {
	m := Matrix{}
	_ = m.Set("preset", "faster")
	_ = m.Set("rate", "crf26,750k")
	_ = m.Set("size", "480x270")
	_ = m.Set("fps", "8")
	_ = m.Set("scale", "bicubic")
	_ = m.Set("deblock", "true")
	_ = m.Set("gop", "16")
	ss, err := m.Settings(25)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		doc := s.ConfigSnippet() + "cameras:\n  door:\n    url: rtsp://127.0.0.1:8554/x\n"
		f, err := conf.Parse([]byte(doc))
		if err != nil {
			t.Fatalf("%s: snippet does not parse: %v\n%s", s.Label(), err, doc)
		}
		c := f.Cameras[0]
		e := s.encoderConfig()
		got := c.Sub.Encoder.WithDefaults()
		if c.Sub.Width != s.Width || c.Sub.Height != s.Height || c.Sub.FPS != s.FPS || c.Sub.Scale != s.Scale ||
			!c.Decoder.Deblock || got.Preset != e.Preset || got.CRF != e.CRF || got.Bitrate != e.Bitrate ||
			got.GOP != e.GOP || got.Tune != e.Tune {
			t.Errorf("%s: configuration has sub %+v, decoder %+v\n%s", s.Label(), c.Sub, c.Decoder, doc)
		}
	}
}

func loadInput(t *testing.T, loops int) *Input {
	t.Helper()
	in, err := LoadInput(TestdataDir()+"/"+clip1080, loops, 25)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func setting(t *testing.T, axes map[string]string) Setting {
	t.Helper()
	m := Matrix{}
	for k, v := range axes {
		if err := m.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	ss, err := m.Settings(25)
	if err != nil || len(ss) != 1 {
		t.Fatalf("%v: %d settings, %v", axes, len(ss), err)
	}
	return ss[0]
}

// TestMeasureBitrate checks the bitrate against bytes counted independently:
// the same chain, deterministic x264 on one thread, through bench.Chain.
func TestMeasureBitrate(t *testing.T) {
	in := loadInput(t, 1)
	r := NewRunner(in)
	r.Parallel = 2
	defer r.Close()
	s := setting(t, map[string]string{"rate": "512k", "fps": "25"})
	res, err := r.Measure(s)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewChain(ChainConfig{Width: s.Width, Height: s.Height, FPS: 25, Scale: s.Scale, Encoder: s.Encoder,
		Decoder: transcode.DecoderConfig{SkipLoopFilter: true}}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, au := range in.AUs {
		if err := c.Push(au); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if res.InFrames != 100 || res.OutFrames != 100 || c.Frames != 100 {
		t.Fatalf("frames: in %d, out %d, chain %d; want 100", res.InFrames, res.OutFrames, c.Frames)
	}
	if res.Bytes != int64(c.Bytes) {
		t.Errorf("bytes %d, the same chain counted %d", res.Bytes, c.Bytes)
	}
	want := float64(c.Bytes) * 8 / 4.0 // 100 pictures at 25 fps: 4 s
	if math.Abs(res.Bitrate-want) > 1e-6 {
		t.Errorf("bitrate %.3f bit/s, want bytes×8/4 s = %.3f", res.Bitrate, want)
	}
	if res.Bitrate < 0.75*512e3 || res.Bitrate > 1.25*512e3 {
		t.Errorf("bitrate %.0f bit/s for a 512k setting", res.Bitrate)
	}
	if res.DecodeMs <= 0 || res.ScaleMs <= 0 || res.EncodeMs <= 0 || res.EncodeP99Ms < res.EncodeP50Ms || res.EncodeDelay != 0 {
		t.Errorf("timings: %+v", res)
	}
	if got := res.StreamsPerCore * res.CPUPerSecond; math.Abs(got-1) > 1e-9 {
		t.Errorf("streams per core %.2f × CPU per second %.3f = %v", res.StreamsPerCore, res.CPUPerSecond, got)
	}
	// Two streams at once cost each about what one alone costs: more (shared
	// caches), never much less; the machine figure follows from it.
	if res.LoadedCPUPerSecond < 0.8*res.CPUPerSecond || res.LoadedCPUPerSecond > 3*res.CPUPerSecond {
		t.Errorf("loaded %.3f CPU s/s against %.3f alone", res.LoadedCPUPerSecond, res.CPUPerSecond)
	}
	rs := []Result{res}
	factor := ApplyLoadFactor(rs)
	if want := float64(runtime.NumCPU()) / res.LoadedCPUPerSecond; math.Abs(rs[0].StreamsPerMachine-want) > 1e-9 ||
		math.Abs(factor-res.LoadedCPUPerSecond/res.CPUPerSecond) > 1e-12 {
		t.Errorf("streams per machine %.2f (factor %.3f), want cores / loaded CPU = %.2f", rs[0].StreamsPerMachine, factor, want)
	}
	t.Logf("%s: decode %.2f + scale %.2f + encode %.2f ms, %.1f cameras/core, %.0f kbit/s, %.2f dB, SSIM %.4f",
		res.Label, res.DecodeMs, res.ScaleMs, res.EncodeMs, res.StreamsPerCore, res.Bitrate/1000, res.PSNR, res.SSIM)
}

// TestMeasureQualityRanks measures the same clip at a very low and a high
// quality: the figures must say so clearly, and with the frame rate reduced
// each output picture is compared with the input picture it came from.
func TestMeasureQualityRanks(t *testing.T) {
	r := NewRunner(loadInput(t, 1))
	defer r.Close()
	good, err := r.Measure(setting(t, map[string]string{"rate": "crf18", "scale": "lanczos", "deblock": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	poor, err := r.Measure(setting(t, map[string]string{"rate": "60k"}))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("crf18: %.2f dB, SSIM %.4f, %.0f kbit/s; 60k: %.2f dB, SSIM %.4f, %.0f kbit/s",
		good.PSNR, good.SSIM, good.Bitrate/1000, poor.PSNR, poor.SSIM, poor.Bitrate/1000)
	if good.OutFrames != 40 || poor.OutFrames != 40 || len(good.FramePSNR) != 40 || len(poor.FrameSSIM) != 40 {
		t.Fatalf("4 s at 10 fps: %d and %d pictures", good.OutFrames, poor.OutFrames)
	}
	if good.PSNR < 40 || good.SSIM < 0.97 {
		t.Errorf("CRF 18 from the same reference path: %.2f dB, SSIM %.4f; want > 40 dB, > 0.97", good.PSNR, good.SSIM)
	}
	if poor.PSNR > good.PSNR-5 || poor.SSIM > good.SSIM-0.03 {
		t.Errorf("60 kbit/s (%.2f dB, %.4f) is not clearly below CRF 18 (%.2f dB, %.4f)", poor.PSNR, poor.SSIM, good.PSNR, good.SSIM)
	}
	if poor.MinPSNR > poor.PSNR || good.MinSSIM > good.SSIM {
		t.Errorf("minimum above mean: %+v", poor)
	}
}

// TestFFmpegArgs runs a setting's ffmpeg command line in the ffmpeg program
// (Debian's here; -vs-ffmpeg uses one built from camgate's FFmpeg source): the
// options must be accepted and give the pictures camgate's chain gives.
func TestFFmpegArgs(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatal("the ffmpeg program is needed (scripts/test-deps.sh installs Debian's): ", err)
	}
	r := NewRunner(loadInput(t, 1))
	defer r.Close()
	r.FFmpeg = ffmpeg
	for _, axes := range []map[string]string{
		{"rate": "crf28", "preset": "ultrafast"},
		{"rate": "300k", "size": "320x180", "fps": "5", "tune": "none", "scale": "bilinear", "deblock": "true", "gop": "10"},
	} {
		s := setting(t, axes)
		res, err := r.Measure(s)
		if err != nil {
			t.Fatal(err)
		}
		run, err := RunFFmpeg(ffmpeg, FFmpegArgs(s, r.file, false, 25))
		if err != nil {
			t.Fatal(err)
		}
		if d := run.Frames - res.OutFrames; d < -1 || d > 1 {
			t.Errorf("%s: ffmpeg encoded %d pictures, camgate %d", s.Label(), run.Frames, res.OutFrames)
		}
		if res.FFmpegCPUPerSecond <= 0 || res.FFmpegRatio <= 0 {
			t.Errorf("%s: no side-by-side figures: %+v", s.Label(), res)
		}
		t.Logf("%s: camgate %.3f CPU s/s, ffmpeg %.3f, ratio %.2f", s.Label(), res.CPUPerSecond, res.FFmpegCPUPerSecond, res.FFmpegRatio)
	}
}

// TestRecordRTSP records a fake camera and measures a setting on the recording.
func TestRecordRTSP(t *testing.T) {
	clip, err := fakecam.LoadClip(TestdataDir() + "/" + clip1080)
	if err != nil {
		t.Fatal(err)
	}
	cam, err := fakecam.Start(fakecam.Config{Clip: clip})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	in, err := RecordRTSP(ctx, cam.URL(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if in.FPS != 25 || len(in.AUs) < 50 || len(in.AUs) > 60 || !codec.IsKeyframe(codec.H264, in.AUs[0]) {
		t.Fatalf("recorded %d pictures at %d fps (keyframe first: %v); want about 2 s at 25", len(in.AUs), in.FPS, codec.IsKeyframe(codec.H264, in.AUs[0]))
	}
	r := NewRunner(in)
	defer r.Close()
	res, err := r.Measure(setting(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.InFrames != len(in.AUs) || res.PSNR < 35 {
		t.Errorf("on the recording: %d of %d pictures, %.2f dB", res.InFrames, len(in.AUs), res.PSNR)
	}

	if _, err := RecordRTSP(ctx, "rtsp://127.0.0.1:1/none", time.Second); err == nil {
		t.Error("recording from a closed port succeeded")
	}
}
