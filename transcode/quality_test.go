package transcode

import (
	"bytes"
	"fmt"
	"github.com/camgate/camgate/codec"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// qualityPair returns a 640x360 picture of the 1080p clip and the same picture
// after a pass through x264 at a very low quality.
func qualityPair(t *testing.T) (ref, degraded *Frame) {
	t.Helper()
	aus := loadClip(t, "cam1080p25.h264")
	dec := newDecoder(t, codec.H264)
	sc, err := NewScaler(640, 360, ScaleArea)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	decodeAll(t, dec, aus[:12], func(i int, f *Frame) {
		if i != 10 {
			return
		}
		s, err := sc.Scale(f)
		if err != nil {
			t.Fatal(err)
		}
		ref = cloneFrame(t, s)
	})
	if ref == nil {
		t.Fatal("frame 10 not decoded")
	}
	enc, err := NewEncoder(EncoderConfig{Width: 640, Height: 360, FPS: 25, Preset: "ultrafast", CRF: 45})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	if err := enc.Send(ref); err != nil {
		t.Fatal(err)
	}
	if err := enc.Send(nil); err != nil {
		t.Fatal(err)
	}
	au, err := enc.Receive()
	if err != nil || au == nil {
		t.Fatalf("encode: %v, %v", au, err)
	}
	back := newDecoder(t, codec.H264)
	if err := back.Send(unitFor(back, au.NALUs, 0)); err != nil {
		t.Fatal(err)
	}
	if err := back.Flush(); err != nil {
		t.Fatal(err)
	}
	f, err := back.Receive()
	if err != nil || f == nil {
		t.Fatalf("decode of the encoded picture: %v, %v", f, err)
	}
	return ref, cloneFrame(t, f)
}

func cloneFrame(t *testing.T, f *Frame) *Frame {
	t.Helper()
	c, err := NewFrame(f.Width(), f.Height())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	Blit(c, 0, 0, f, 0, 0, f.Width(), f.Height())
	return c
}

// writeYUV writes a picture as raw yuv420p, planes without padding.
func writeYUV(t *testing.T, path string, f *Frame) {
	t.Helper()
	var buf bytes.Buffer
	for i := 0; i < 3; i++ {
		w, h := f.Width(), f.Height()
		if i > 0 {
			w, h = (w+1)/2, (h+1)/2
		}
		p, stride := f.Plane(i)
		for y := 0; y < h; y++ {
			buf.Write(p[y*stride : y*stride+w])
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSSIMIdentical(t *testing.T) {
	ref, _ := qualityPair(t)
	s, err := SSIM(ref, ref)
	if err != nil {
		t.Fatal(err)
	}
	if s != 1 {
		t.Errorf("SSIM of a picture against itself: %v, want exactly 1", s)
	}
	if p, _ := PSNR(ref, ref); p != MaxPSNR {
		t.Errorf("PSNR of a picture against itself: %v, want the cap %v", p, MaxPSNR)
	}
	small, err := NewFrame(16, 16) // the smallest picture: 8x8 chroma, one SSIM window
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	if _, err := SSIM(ref, small); err == nil {
		t.Error("SSIM of different sizes accepted")
	}
	if s, err := SSIM(small, small); err != nil || s != 1 {
		t.Errorf("SSIM of a 16x16 picture against itself: %v, %v", s, err)
	}
}

// TestQualityMatchesLibavFilters computes PSNR and SSIM of a degraded picture
// in Go and with the psnr and ssim filters of the ffmpeg program (Debian's),
// and requires the same numbers: the benchmark's quality figures are libav's.
func TestQualityMatchesLibavFilters(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatal("the ffmpeg program is needed (scripts/test-deps.sh installs Debian's): ", err)
	}
	ref, deg := qualityPair(t)
	psnr, err := PSNR(ref, deg)
	if err != nil {
		t.Fatal(err)
	}
	ssim, err := SSIM(ref, deg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("640x360 at x264 CRF 45: PSNR %.3f dB, SSIM %.5f", psnr, ssim)
	if psnr > 35 || ssim > 0.95 {
		t.Errorf("CRF 45 should look clearly worse: PSNR %.2f dB, SSIM %.4f", psnr, ssim)
	}
	if psnr < 15 || ssim < 0.5 {
		t.Errorf("CRF 45 is still the same picture: PSNR %.2f dB, SSIM %.4f is too low", psnr, ssim)
	}

	dir := t.TempDir()
	a, b := filepath.Join(dir, "ref.yuv"), filepath.Join(dir, "deg.yuv")
	writeYUV(t, a, ref)
	writeYUV(t, b, deg)
	raw := []string{"-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "640x360"}
	args := append([]string{"-hide_banner", "-nostdin"}, raw...)
	args = append(append(append(args, "-i", b), raw...), "-i", a,
		"-lavfi", "[0:v]split[m1][m2];[1:v]split[r1][r2];[m1][r1]psnr;[m2][r2]ssim", "-f", "null", "-")
	out, err := exec.Command(ffmpeg, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	libPSNR := parseFloat(t, out, `PSNR .*average:([0-9.]+|inf)`)
	libSSIM := parseFloat(t, out, `SSIM .*All:([0-9.]+)`)
	t.Logf("libav filters: PSNR %.3f dB, SSIM %.6f", libPSNR, libSSIM)
	if d := psnr - libPSNR; d > 0.01 || d < -0.01 {
		t.Errorf("PSNR %.4f dB, libav's psnr filter %.4f dB", psnr, libPSNR)
	}
	if d := ssim - libSSIM; d > 2e-6 || d < -2e-6 {
		t.Errorf("SSIM %.7f, libav's ssim filter %.7f", ssim, libSSIM)
	}
}

func parseFloat(t *testing.T, out []byte, re string) float64 {
	t.Helper()
	m := regexp.MustCompile(re).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no %q in ffmpeg's output:\n%s", re, out)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(fmt.Errorf("%s: %w", m[1], err))
	}
	return v
}
