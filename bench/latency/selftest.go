package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/transcode"
)

// clockVideo describes a local video of clock pictures.
type clockVideo struct {
	Width, Height int
	FPS, Seconds  int
	Bitrate       int        // bit/s; 0: constant quality
	Tile          [4]int     // x, y, w, h of the clock picture in the frame; zero: the whole frame
	Start         time.Time  // burnt into the first picture; each next one a frame later
	Region        [4]float64 // Tile as fractions, for the page
	HLS           bool       // played as HLS (fMP4 segments of 1 s)
}

// makeClockMP4 encodes v to dir/name.mp4: pictures drawn with
// demo.DrawClock (scaled into v.Tile, on black, as a grid tile is), encoded
// with camgate's x264 encoder, put into MP4 by Debian's ffmpeg (-c copy).
func makeClockMP4(dir, name string, v *clockVideo) (string, error) {
	tx, ty, tw, th := v.Tile[0], v.Tile[1], v.Tile[2], v.Tile[3]
	if tw == 0 {
		tx, ty, tw, th = 0, 0, v.Width, v.Height
	}
	v.Region = [4]float64{float64(tx) / float64(v.Width), float64(ty) / float64(v.Height), float64(tw) / float64(v.Width), float64(th) / float64(v.Height)}
	frame, err := transcode.NewFrame(v.Width, v.Height)
	if err != nil {
		return "", err
	}
	defer frame.Close()
	full, err := transcode.NewFrame(1280, 720) // the camera's picture, before the grid scales it
	if err != nil {
		return "", err
	}
	defer full.Close()
	sc, err := transcode.NewScaler(tw, th, transcode.ScaleBilinear)
	if err != nil {
		return "", err
	}
	defer sc.Close()
	cfg := transcode.EncoderConfig{Width: v.Width, Height: v.Height, FPS: v.FPS, Preset: "ultrafast", Bitrate: v.Bitrate}
	enc, err := transcode.NewEncoder(cfg)
	if err != nil {
		return "", err
	}
	defer enc.Close()
	var annexB bytes.Buffer
	write := func(au *codec.AccessUnit) error {
		for _, n := range au.NALUs {
			annexB.Write([]byte{0, 0, 0, 1})
			annexB.Write(n)
		}
		return nil
	}
	for i := 0; i < v.FPS*v.Seconds; i++ {
		full.Fill(128, 128, 128)
		demo.DrawClock(full, v.Start.Add(time.Duration(i)*time.Second/time.Duration(v.FPS)))
		small, err := sc.Scale(full)
		if err != nil {
			return "", err
		}
		if err := frame.MakeWritable(); err != nil {
			return "", err
		}
		frame.Fill(16, 128, 128)
		transcode.Blit(frame, tx, ty, small, 0, 0, tw, th)
		frame.SetPTS(time.Duration(i) * time.Second / time.Duration(v.FPS))
		if err := enc.Encode(frame, write); err != nil {
			return "", err
		}
	}
	if err := enc.Encode(nil, write); err != nil {
		return "", err
	}
	h264 := filepath.Join(dir, name+".h264")
	mp4 := filepath.Join(dir, name+".mp4")
	if err := os.WriteFile(h264, annexB.Bytes(), 0o600); err != nil {
		return "", err
	}
	out, err := exec.Command("ffmpeg", "-v", "error", "-y", "-framerate", fmt.Sprint(v.FPS), "-i", h264,
		"-c", "copy", "-movflags", "+faststart", mp4).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("ffmpeg: %v: %s", err, out)
	}
	return mp4, nil
}

// checkClockVideo checks what the page read from a clock video: times from
// the video, each later than the one before, and no frame without a strip.
func checkClockVideo(r *Result, v *clockVideo) error {
	if len(r.Burnt) < 10 {
		return fmt.Errorf("%d frames read (%d unreadable, %d callbacks), want at least 10", len(r.Burnt), r.Unreadable, r.Frames)
	}
	if r.Unreadable > 0 {
		return fmt.Errorf("%d frames without a readable strip, %d read", r.Unreadable, len(r.Burnt))
	}
	first := float64(v.Start.UnixMilli())
	last := float64(v.Start.Add(time.Duration(v.FPS*v.Seconds-1) * time.Second / time.Duration(v.FPS)).UnixMilli())
	period := 1000 / float64(v.FPS)
	for i, ms := range r.Burnt {
		if ms < first || ms > last {
			return fmt.Errorf("frame %d: %v, not a time of the video (%v to %v)", i, ms, first, last)
		}
		if m := math.Mod(ms-first, period); m > 0.5 && period-m > 0.5 {
			return fmt.Errorf("frame %d: %v is not on the video's frame grid", i, ms)
		}
		if i > 0 && ms <= r.Burnt[i-1] {
			return fmt.Errorf("frame %d: %v after %v", i, ms, r.Burnt[i-1])
		}
	}
	if r.Width != 0 && r.Width != v.Width {
		return fmt.Errorf("played %dx%d, the video is %dx%d", r.Width, r.Height, v.Width, v.Height)
	}
	return nil
}

// selfTestVideos are the self-test's videos: a whole picture, and a tile of
// a 4×4 grid of 1280×720 at 512 kbit/s (320×180, the smallest a grid makes).
func selfTestVideos() []*clockVideo {
	start := time.UnixMilli(1_767_225_600_007)
	return []*clockVideo{
		{Width: 640, Height: 360, FPS: 25, Seconds: 3, Start: start},
		{Width: 1280, Height: 720, FPS: 25, Seconds: 3, Bitrate: 512_000, Tile: [4]int{960, 540, 320, 180}, Start: start.Add(time.Hour)},
		{Width: 640, Height: 360, FPS: 25, Seconds: 3, Start: start.Add(2 * time.Hour), HLS: true},
	}
}

// selfTest plays local clock videos in Chromium and checks the times read.
func selfTest(ctx context.Context, b *Browser, out io.Writer) error {
	dir, err := os.MkdirTemp("", "latency-selftest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var errs []error
	for i, v := range selfTestVideos() {
		name := fmt.Sprintf("clock%d", i)
		mp4, err := makeClockMP4(dir, name, v)
		if err != nil {
			return err
		}
		if b.Files == nil {
			b.Files = map[string]string{}
		}
		b.Files["/media/"+name+".mp4"] = mp4
		t := Target{Label: name, URL: "/media/" + name + ".mp4", Kind: "file", Region: v.Region}
		if v.HLS {
			hlsDir := filepath.Join(dir, name)
			if err := os.Mkdir(hlsDir, 0o700); err != nil {
				return err
			}
			out, err := exec.Command("ffmpeg", "-v", "error", "-i", mp4, "-c", "copy", "-f", "hls", "-hls_time", "1",
				"-hls_playlist_type", "vod", "-hls_segment_type", "fmp4", filepath.Join(hlsDir, "index.m3u8")).CombinedOutput()
			if err != nil {
				return fmt.Errorf("ffmpeg (HLS): %v: %s", err, out)
			}
			b.Files["/media/"+name+"/"] = hlsDir
			t.URL, t.Kind = "/media/"+name+"/index.m3u8", "hls"
		}
		res, err := b.Measure(ctx, t)
		if err == nil {
			err = checkClockVideo(res, v)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s (%dx%d, region %v): %w", name, v.Width, v.Height, v.Region, err))
			continue
		}
		fmt.Fprintf(out, "%s: %dx%d, region %v: %d frames read, all on the video's clock, in order (first frame after %.0f ms)\n",
			name, res.Width, res.Height, v.Region, len(res.Burnt), res.FirstFrameMs)
	}
	return errors.Join(errs...)
}
