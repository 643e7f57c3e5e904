package main

import (
	"context"
	"io"
	"os/exec"
	"testing"

	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/transcode"
)

// needBrowser fails the test where Chromium or ffmpeg is missing
// (scripts/test-deps.sh installs them).
func needBrowser(t *testing.T) *Browser {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "ffmpeg"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s: %v (scripts/test-deps.sh installs it)", p, err)
		}
	}
	transcode.SetLogHandler(transcode.LogError, nil)
	return &Browser{Seconds: 3, Log: t.Logf}
}

// TestPageReadsLocalClockVideos: the page plays MP4s of clock pictures (a
// whole picture, and a 320×180 tile of a 1280×720 grid at 512 kbit/s) and
// reads, from every frame Chromium presents, a time of the video, in order.
func TestPageReadsLocalClockVideos(t *testing.T) {
	b := needBrowser(t)
	if err := selfTest(context.Background(), b, io.Discard); err != nil {
		t.Fatal(err)
	}
}

// TestPageMeasuresWHEP: the page plays a clock source over WHEP (the direct
// server: encoder → pion → Chromium) and reads times from the frames that
// are the machine's clock, a little earlier. Loose on purpose: it checks the
// path, not the figure.
func TestPageMeasuresWHEP(t *testing.T) {
	b := needBrowser(t)
	w, err := startDirectWHEP(demo.ClockConfig{Width: 640, Height: 360, FPS: 25})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	res, err := b.Measure(context.Background(), Target{Label: "direct", URL: w.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Lags) < 10 || res.Unreadable > res.Frames/2 || res.Width != 640 || res.Height != 360 {
		t.Fatalf("%d frames read, %d unreadable of %d, %dx%d", len(res.Lags), res.Unreadable, res.Frames, res.Width, res.Height)
	}
	for i, lag := range res.Lags {
		if lag < -1 || lag > 10_000 {
			t.Errorf("frame %d: lag %v ms", i, lag)
		}
		if i > 0 && res.Burnt[i] <= res.Burnt[i-1] {
			t.Errorf("frame %d: %v after %v", i, res.Burnt[i], res.Burnt[i-1])
		}
	}
	t.Logf("WebRTC straight from the encoder, 640x360: %d frames, p50 %.0f ms, p95 %.0f ms, first frame after %.0f ms",
		len(res.Lags), res.Percentile(50), res.Percentile(95), res.FirstFrameMs)
}

func TestParseTarget(t *testing.T) {
	tg, err := ParseTarget("grid=http://h:8889/grid/whep#region=0,0,0.5,0.5")
	if err != nil || tg.Label != "grid" || tg.URL != "http://h:8889/grid/whep" || tg.Region != [4]float64{0, 0, 0.5, 0.5} || tg.kind() != "whep" {
		t.Errorf("%+v %v", tg, err)
	}
	if tg, _ := ParseTarget("s=http://h:8888/cam_sub/index.m3u8"); tg.kind() != "hls" {
		t.Errorf("%+v: not HLS", tg)
	}
	for _, bad := range []string{"nolabel", "=http://x", "a=http://x#region=1,2", "a=http://x#region=0,0,2,1"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
