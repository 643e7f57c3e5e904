// Command latency measures glass-to-glass latency in a browser: a clock
// camera (`fakecam -clock`, demo.ClockSource) burns the wall-clock time into
// its pictures, headless Chromium plays camgate's stream of it on a page this
// program serves, reads the time back from every frame it presents
// (requestVideoFrameCallback → canvas → api/web/clockstrip.js) and compares it
// with its own clock. Both clocks are the machine's: run everything on one
// machine.
//
//	go run ./cmd/fakecam -clock -n 4 &                     cameras on :8555…, pulled by camgate
//	go run ./bench/latency -d 30s \
//	    main=http://127.0.0.1:8889/cam1/whep \
//	    sub=http://127.0.0.1:8889/cam1_sub/whep \
//	    grid='http://127.0.0.1:8889/grid/whep#region=0,0,0.5,0.5' \
//	    hls-sub=http://127.0.0.1:8888/cam1_sub/index.m3u8
//
// A target is label=URL: a WHEP endpoint (path ending in /whep: RFC 9725,
// one POST of the offer, no trickle), an HLS playlist (.m3u8: hls.js when
// -hlsjs names it, else the browser's own player), or anything a <video>
// plays. "#region=x,y,w,h" says where the clock camera's picture is, as
// fractions (a grid tile). Targets are measured one after the other, each in
// a fresh browser. -selftest plays a local MP4 of clock pictures instead, to
// check the page and the strip reader without a server.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/transcode"
)

func main() {
	var (
		dur      = flag.Duration("d", 30*time.Second, "how long to collect frames, after the first one")
		chromium = flag.String("chromium", "/usr/bin/chromium", "Chromium binary")
		js       = flag.String("js", "", "clockstrip.js (default: api/web/clockstrip.js of the repository)")
		hlsjs    = flag.String("hlsjs", "auto", `hls.js, a path or URL; "auto": hls/web/hls*.min.js of the repository if there; "": native HLS`)
		self     = flag.Bool("selftest", false, "measure a local MP4 of clock pictures instead (checks the page and the reader)")
		verbose  = flag.Bool("v", false, "print the page's progress")
		direct   = flag.Bool("direct", false, "also measure a clock source sent straight from its encoder over WebRTC (WHEP served here, no camera, no gateway): the floor")
		size     = flag.String("size", "1280x720", "picture size of -direct")
		fps      = flag.Int("fps", 25, "frame rate of -direct")
	)
	flag.Parse()
	b := &Browser{Chromium: *chromium, Seconds: dur.Seconds(), JS: *js, HLSJS: *hlsjs}
	if *verbose {
		b.Log = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	}
	if b.HLSJS == "auto" {
		b.HLSJS = ""
		if root, err := repoRoot(); err == nil {
			for _, name := range []string{"hls.light.min.js", "hls.min.js"} {
				if p := filepath.Join(root, "hls", "web", name); fileExists(p) {
					b.HLSJS = p
					break
				}
			}
		}
	}
	transcode.SetLogHandler(transcode.LogError, nil)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *self {
		if err := selfTest(ctx, b, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "latency:", err)
			os.Exit(1)
		}
		return
	}
	if *direct {
		var cfg demo.ClockConfig
		if _, err := fmt.Sscanf(*size, "%dx%d", &cfg.Width, &cfg.Height); err != nil {
			fmt.Fprintf(os.Stderr, "latency: -size %q: want WIDTHxHEIGHT\n", *size)
			os.Exit(2)
		}
		cfg.FPS = *fps
		w, err := startDirectWHEP(cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "latency:", err)
			os.Exit(1)
		}
		defer w.Close()
		directTarget = &Target{Label: "direct", URL: w.URL()}
	}
	if flag.NArg() == 0 && directTarget == nil {
		fmt.Fprintln(os.Stderr, "latency: no target; usage: latency [flags] label=URL[#region=x,y,w,h] …")
		os.Exit(2)
	}
	var targets []Target
	if directTarget != nil {
		targets = append(targets, *directTarget)
	}
	for _, a := range flag.Args() {
		t, err := ParseTarget(a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "latency:", err)
			os.Exit(2)
		}
		targets = append(targets, t)
	}
	failed := false
	printHeader(os.Stdout)
	for _, t := range targets {
		res, err := b.Measure(ctx, t)
		if err != nil {
			fmt.Fprintf(os.Stdout, "%-10s %-5s error: %v\n", t.Label, t.kind(), err)
			failed = true
			continue
		}
		printResult(os.Stdout, t, res)
	}
	if failed {
		stop()
		os.Exit(1) //nolint:gocritic // the deferred Close of -direct is not needed at exit
	}
}

var directTarget *Target

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func printHeader(w *os.File) {
	fmt.Fprintf(w, "%-10s %-5s %9s %7s %10s %9s %8s %8s %8s\n", "target", "kind", "size", "frames", "unreadable", "1st ms", "p50 ms", "p95 ms", "max ms")
}

func printResult(w *os.File, t Target, r *Result) {
	fmt.Fprintf(w, "%-10s %-5s %9s %7d %10d %9.0f %8.0f %8.0f %8.0f\n", t.Label, t.kind(),
		fmt.Sprintf("%dx%d", r.Width, r.Height), len(r.Lags), r.Unreadable, r.FirstFrameMs,
		r.Percentile(50), r.Percentile(95), r.Percentile(100))
}
