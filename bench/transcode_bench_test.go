package bench

import (
	"github.com/camgate/camgate/codec"
	"testing"
	"time"

	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/transcode"
)

func init() { transcode.SetLogHandler(transcode.LogError, nil) }

const clip1080 = "cam1080p25.h264"

func loadB(b *testing.B) [][][]byte {
	aus, _, err := LoadClip(clip1080)
	if err != nil {
		b.Fatal(err)
	}
	return aus
}

// report adds frames per second, the figure camera people reason in.
func report(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// decodedFrames decodes the clip once and keeps copies of its pictures scaled
// to w×h (the original size when w is 0), for benchmarks of later stages.
func decodedFrames(b *testing.B, w, h int) []*transcode.Frame {
	aus := loadB(b)
	dec, err := transcode.NewDecoder(transcode.DecoderConfig{Codec: codec.H264})
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()
	sc, err := transcode.NewScaler(w, h, transcode.ScaleArea)
	if err != nil {
		b.Fatal(err)
	}
	defer sc.Close()
	var frames []*transcode.Frame
	for i, nalus := range aus {
		au := codec.AccessUnit{NALUs: nalus, PTS: time.Duration(i) * 40 * time.Millisecond, Keyframe: codec.IsKeyframe(codec.H264, nalus)}
		if err := dec.Send(&au); err != nil {
			b.Fatal(err)
		}
		for f, err := dec.Receive(); f != nil || err != nil; f, err = dec.Receive() {
			if err != nil {
				b.Fatal(err)
			}
			s, err := sc.Scale(f)
			if err != nil {
				b.Fatal(err)
			}
			c, err := transcode.NewFrame(w, h)
			if err != nil {
				b.Fatal(err)
			}
			for p := 0; p < 3; p++ {
				dst, _ := c.Plane(p)
				src, _ := s.Plane(p)
				copy(dst, src)
			}
			c.SetPTS(s.PTS())
			frames = append(frames, c)
		}
	}
	b.Cleanup(func() {
		for _, f := range frames {
			f.Close()
		}
	})
	return frames
}

// BenchmarkDecode1080p decodes the 1080p25 clip on one thread, with every
// picture deblocked, and with keyframes only deblocked (camgate's default,
// see quality_test.go).
func BenchmarkDecode1080p(b *testing.B) {
	aus := loadB(b)
	for _, tc := range []struct {
		name string
		skip bool
	}{{"deblock-all", false}, {"deblock-keyframes", true}} {
		b.Run(tc.name, func(b *testing.B) {
			dec, err := transcode.NewDecoder(transcode.DecoderConfig{Codec: codec.H264, SkipLoopFilter: tc.skip})
			if err != nil {
				b.Fatal(err)
			}
			defer dec.Close()
			units := make([]codec.AccessUnit, len(aus))
			for i, nalus := range aus {
				units[i] = codec.AccessUnit{NALUs: nalus, Keyframe: codec.IsKeyframe(codec.H264, nalus)}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				au := &units[i%len(units)]
				au.PTS = time.Duration(i) * 40 * time.Millisecond
				if err := dec.Send(au); err != nil {
					b.Fatal(err)
				}
				for f, err := dec.Receive(); f != nil || err != nil; f, err = dec.Receive() {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			report(b)
		})
	}
}

// BenchmarkScale1080pTo360p scales decoded 1080p pictures to 640×360 with
// the default algorithm, area.
func BenchmarkScale1080pTo360p(b *testing.B) {
	frames := decodedFrames(b, 1920, 1080)
	sc, err := transcode.NewScaler(640, 360, transcode.ScaleArea)
	if err != nil {
		b.Fatal(err)
	}
	defer sc.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sc.Scale(frames[i%len(frames)]); err != nil {
			b.Fatal(err)
		}
	}
	report(b)
}

// BenchmarkEncode360p encodes 640×360 pictures at 1 Mbit/s with two presets.
func BenchmarkEncode360p(b *testing.B) {
	frames := decodedFrames(b, 640, 360)
	for _, preset := range []string{"ultrafast", "veryfast"} {
		b.Run(preset, func(b *testing.B) {
			enc, err := transcode.NewEncoder(transcode.EncoderConfig{
				Width: 640, Height: 360, FPS: 25, Preset: preset, Bitrate: 1_000_000,
			})
			if err != nil {
				b.Fatal(err)
			}
			defer enc.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f := frames[i%len(frames)]
				f.SetPTS(time.Duration(i) * 40 * time.Millisecond)
				if err := enc.Send(f); err != nil {
					b.Fatal(err)
				}
				for au, err := enc.Receive(); au != nil || err != nil; au, err = enc.Receive() {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			report(b)
		})
	}
}

// BenchmarkChain runs decode 1080p → scale 640×360 → x264 veryfast 1 Mbit/s,
// the work of one sub stream at the camera's full frame rate.
func BenchmarkChain(b *testing.B) {
	aus := loadB(b)
	c, err := NewChain(ChainConfig{
		Width: 640, Height: 360, FPS: 25,
		Encoder: transcode.EncoderConfig{Preset: "veryfast", Bitrate: 1_000_000},
	}, false)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Push(aus[i%len(aus)]); err != nil {
			b.Fatal(err)
		}
	}
	report(b)
}

// BenchmarkCameraDefaultSub is one camera as `camgate bench` measures it, with
// camgate's default sub stream (640x360 at 10 fps, x264 veryfast, 512 kbit/s):
// decode every picture of the 1080p25 clip, keep one in 2.5, scale, encode.
// An op is one input picture; cams/core is how many such cameras one core
// keeps in real time.
func BenchmarkCameraDefaultSub(b *testing.B) {
	aus := loadB(b)
	in := &Input{Name: clip1080, FPS: 25}
	for len(in.AUs) < max(b.N, 50) {
		in.AUs = append(in.AUs, aus...)
	}
	in.AUs = in.AUs[:max(b.N, 50)]
	sub := pipeline.DefaultSub
	s := Setting{Width: sub.Width, Height: sub.Height, FPS: sub.FPS, Scale: sub.Scale, Encoder: sub.Encoder}
	r := NewRunner(in)
	defer r.Close()
	var res Result
	b.ResetTimer()
	if _, err := r.timedPass(s, &res); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.StreamsPerCore, "cams/core")
	b.ReportMetric(res.DecodeMs+res.ScaleMs*float64(res.OutFrames)/float64(res.InFrames)+
		res.EncodeMs*float64(res.OutFrames)/float64(res.InFrames), "CPU-ms/picture")
}
