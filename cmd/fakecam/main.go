// Command fakecam is a fake IP camera: an RTSP server that plays a clip in
// real time, in a loop, for trying camgate without a camera.
//
//	fakecam                                   a generated 720p clip at rtsp://127.0.0.1:8555/cam1
//	fakecam -n 4                              four cameras, cam1 … cam4, each its own tint
//	fakecam -clip testdata/cam1080p25.h264    a raw H.264/H.265 file instead
//	fakecam -clock -size 1280x720             the wall clock burnt into each picture, encoded
//	                                          live, for measuring latency (bench/latency)
//
// Each camera listens on its own port (8555, 8556, …), as real cameras are
// separate hosts.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/transcode"
)

func main() {
	var (
		listen = flag.String("listen", "127.0.0.1:8555", "address of the first camera; the others take the next ports")
		n      = flag.Int("n", 1, "number of cameras")
		clip   = flag.String("clip", "", "raw Annex-B H.264 (.h264) or H.265 (.hevc) file to play (default: a generated clip of -size)")
		fps    = flag.Int("fps", 25, "frame rate")
		audio  = flag.Bool("audio", true, "also send a G.711 audio track")
		clock  = flag.Bool("clock", false, "serve the wall-clock time burnt into live-encoded pictures (demo.ClockSource) instead of a clip")
		size   = flag.String("size", "1280x720", "picture size of the generated clip or of -clock")
	)
	flag.Parse()
	if err := run(*listen, *n, *clip, *fps, *audio, *clock, *size); err != nil {
		fmt.Fprintln(os.Stderr, "fakecam:", err)
		os.Exit(1)
	}
}

func run(listen string, n int, clipPath string, fps int, audio, clock bool, size string) error {
	if n < 1 || n > 256 {
		return fmt.Errorf("-n %d: between 1 and 256", n)
	}
	if clock && clipPath != "" {
		return errors.New("-clock and -clip: one or the other")
	}
	var width, height int
	if _, err := fmt.Sscanf(size, "%dx%d", &width, &height); err != nil || width < 64 || height < 64 || width > 7680 || height > 4320 {
		return fmt.Errorf("-size %q: WIDTHxHEIGHT, 64x64 to 7680x4320", size)
	}
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("-listen %q: bad port", listen)
	}
	transcode.SetLogHandler(transcode.LogError, nil)
	var cams []*fakecam.Camera
	var sources []*demo.ClockSource
	defer func() {
		for _, c := range cams {
			c.Close()
		}
		for _, s := range sources {
			s.Close()
		}
	}()
	for i := 0; i < n; i++ {
		var clip fakecam.Clip
		var live fakecam.Live
		if clock {
			s, err := demo.NewClockSource(demo.ClockConfig{Width: width, Height: height, FPS: fps})
			if err != nil {
				return err
			}
			sources = append(sources, s)
			live = s
		} else if clipPath != "" {
			clip, err = fakecam.LoadClip(clipPath)
		} else {
			clip, err = demo.Clip(width, height, fps, 8, 0, i*360/n+30)
		}
		if err != nil {
			return err
		}
		addr := net.JoinHostPort(host, strconv.Itoa(port+i))
		c, err := fakecam.Start(fakecam.Config{Clip: clip, Path: fmt.Sprintf("cam%d", i+1), Address: addr, FPS: fps, Audio: audio, Live: live})
		if err != nil {
			return err
		}
		cams = append(cams, c)
		fmt.Println(c.URL())
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}
