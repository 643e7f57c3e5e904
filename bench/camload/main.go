// Command camload measures what cameras cost in camgate: N fake 1080p25
// cameras, each with its passthrough main stream and a 640×360@10 sub stream
// that one reader plays. It reports CPU seconds per camera-second, RSS per
// camera and whether the gateway keeps up in real time (no access unit
// dropped, every sub stream at its 10 fps), for growing N, and the largest N
// that keeps up.
//
// The fake cameras and the readers run in a child process, so that the CPU and
// memory measured are the gateway's alone.
//
//	go run ./bench/camload -n 1,2,4,6,8 -duration 20s
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/bench"
	"github.com/camgate/camgate/internal/procstat"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/rtsp/rtspclient"
	"github.com/camgate/camgate/transcode"
)

func main() {
	var (
		counts   = flag.String("n", "1,2,4,6,8", "camera counts to measure, in order")
		duration = flag.Duration("duration", 20*time.Second, "measurement time per count (after a 5 s warm-up)")
		clip     = flag.String("clip", bench.TestdataDir()+"/cam1080p25.h264", "clip the fake cameras play")
		basePort = flag.Int("port", 18554, "first port of the fake cameras")
		child    = flag.Int("child", 0, "internal: run N fake cameras and readers")
		gateway  = flag.String("gateway", "", "internal: the gateway's RTSP address, for the child's readers")
		mainRead = flag.Bool("main-readers", false, "also play each camera's passthrough main stream (one reader each), to measure the relay")
	)
	flag.Parse()
	transcode.SetLogHandler(transcode.LogError, nil)
	var err error
	if *child > 0 {
		err = runChild(*child, *clip, *basePort, *gateway, *mainRead)
	} else {
		err = runParent(*counts, *duration, *clip, *basePort, *mainRead)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "camload:", err)
		os.Exit(1)
	}
}

type result struct {
	n            int
	cpuPerCamSec float64
	rssPerCamMB  float64
	rssMB        float64
	drops        uint64
	fpsIn        float64 // per camera
	subFPS       float64 // per camera
	realTime     bool
}

func runParent(counts string, d time.Duration, clip string, port int, mainReaders bool) error {
	base := rssKB()
	fmt.Printf("camload: fake cameras play %s at 25 fps; each camera: main passthrough + sub 640x360@10 (x264 veryfast, 512 kbit/s), one reader on each sub\n", clip)
	fmt.Printf("gateway RSS before any camera: %.1f MB\n", float64(base)/1024)
	fmt.Printf("%4s %16s %12s %10s %8s %10s %10s %s\n", "N", "CPU s/camera-s", "RSS/camera", "RSS", "drops", "fps in", "sub fps", "real time")
	best := 0
	var results []result
	for _, f := range strings.Split(counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-n: %q is not a camera count", f)
		}
		r, err := measure(n, d, clip, port, base, mainReaders)
		if err != nil {
			return err
		}
		results = append(results, r)
		fmt.Printf("%4d %16.3f %9.1f MB %7.1f MB %8d %10.1f %10.1f %v\n", r.n, r.cpuPerCamSec, r.rssPerCamMB, r.rssMB, r.drops, r.fpsIn, r.subFPS, r.realTime)
		if r.realTime {
			best = n
		} else {
			break
		}
	}
	fmt.Printf("largest camera count sustained in real time on %d cores: %d\n", numCPU(), best)
	return nil
}

func measure(n int, d time.Duration, clip string, port int, baseRSS int, mainReaders bool) (result, error) {
	srv := rtsp.ServerConfig{Address: "127.0.0.1:0"}
	var cams []pipeline.CameraConfig
	for i := 0; i < n; i++ {
		cams = append(cams, pipeline.CameraConfig{
			Name: fmt.Sprintf("cam%d", i+1),
			URL:  bench.FakeCameraURL(port, i),
			Sub:  pipeline.DefaultSub,
		})
	}
	g, err := pipeline.StartGateway(pipeline.Config{RTSP: srv, Cameras: cams}, zerolog.Nop())
	if err != nil {
		return result{}, err
	}
	defer g.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-child", strconv.Itoa(n), "-clip", clip,
		"-port", strconv.Itoa(port), "-gateway", g.Server().Addr().String(), "-main-readers="+strconv.FormatBool(mainReaders))
	cmd.Stderr = os.Stderr
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	defer cmd.Wait()
	defer cancel()
	ready := bufio.NewScanner(stdout)
	if !ready.Scan() { // the child says "ready" once its readers play
		return result{}, fmt.Errorf("child process ended before its readers started")
	}

	time.Sleep(5 * time.Second) // warm-up
	stats0 := collect(g)
	cpu0, t0 := bench.ProcessCPUTime(), time.Now()
	time.Sleep(d)
	cpu1, t1 := bench.ProcessCPUTime(), time.Now()
	stats1 := collect(g)
	secs := t1.Sub(t0).Seconds()

	r := result{n: n, rssMB: float64(rssKB()) / 1024}
	r.cpuPerCamSec = (cpu1 - cpu0).Seconds() / (secs * float64(n))
	r.rssPerCamMB = float64(rssKB()-baseRSS) / 1024 / float64(n)
	r.drops = stats1.drops - stats0.drops
	r.fpsIn = float64(stats1.framesIn-stats0.framesIn) / secs / float64(n)
	r.subFPS = float64(stats1.subFrames-stats0.subFrames) / secs / float64(n)
	r.realTime = r.drops == 0 && r.fpsIn > 24 && r.subFPS > 9.5
	return r, nil
}

type totals struct{ drops, framesIn, subFrames uint64 }

func collect(g *pipeline.Gateway) totals {
	var t totals
	for _, c := range g.Cameras() {
		s := c.Stats()
		t.drops += s.QueueDrops
		t.framesIn += s.FramesIn
		for _, o := range s.Outputs {
			t.subFrames += o.Frames
		}
	}
	return t
}

// runChild serves n fake cameras and, once the gateway has them, plays each
// camera's sub stream.
func runChild(n int, clipPath string, port int, gateway string, mainReaders bool) error {
	stop, err := bench.StartFakeCameras(n, clipPath, port)
	if err != nil {
		return err
	}
	defer stop()
	for i := 0; i < n; i++ {
		paths := []string{"sub"}
		if mainReaders {
			paths = append(paths, "main")
		}
		for _, path := range paths {
			c, err := rtspclient.Play(rtspclient.Config{URL: fmt.Sprintf("rtsp://%s/cam%d/%s", gateway, i+1, path), Retry: 10 * time.Second})
			if err != nil {
				return err
			}
			defer c.Close()
		}
	}
	fmt.Println("ready")
	// Run until the parent ends this process.
	select {}
}

func rssKB() int { return procstat.Sample().RSSKB }

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}
