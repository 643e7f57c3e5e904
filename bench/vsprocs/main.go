// Command vsprocs compares camgate with the process-per-output design on the
// same work: N fake 1080p25 cameras, a 640×360@10 sub stream of each, and one
// 4×4 grid (1280×720@15) of them.
//
//   - camgate: one process; each camera is pulled and decoded once.
//   - process per output: one ffmpeg per sub stream and one ffmpeg with xstack
//     for the grid, as RTSP servers that spawn ffmpeg do it; each reads the
//     cameras itself. The ffmpeg program is built from the same FFmpeg source
//     and flags as camgate's libraries (scripts/ffmpeg.sh --programs).
//
// Both sides use one thread per decoder and encoder and the same x264
// settings. The ffmpeg outputs go to the null muxer, which spares them the RTSP
// publishing that camgate does for its readers: the comparison favours ffmpeg.
// It reports CPU seconds per wall second and memory (the sum of proportional
// set sizes) of each side, and the ratios.
//
//	go run ./bench/vsprocs -ffmpeg "$(scripts/ffmpeg.sh --programs)" -n 4
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/bench"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/rtsp/rtspclient"
	"github.com/camgate/camgate/transcode"
)

func main() {
	var (
		ffmpeg   = flag.String("ffmpeg", "", "ffmpeg program built by scripts/ffmpeg.sh --programs (default: ask the script)")
		n        = flag.Int("n", 4, "cameras (2 to 16)")
		duration = flag.Duration("duration", 20*time.Second, "measurement time of each side, after a 5 s warm-up")
		clip     = flag.String("clip", bench.TestdataDir()+"/cam1080p25.h264", "clip the fake cameras play")
		port     = flag.Int("port", 19554, "first port of the fake cameras")
		child    = flag.String("child", "", "internal: run the fake cameras (and readers of this gateway address, or -)")
		profile  = flag.String("cpuprofile", "", "write a CPU profile of camgate's measurement window to this file")
		only     = flag.Bool("camgate-only", false, "measure camgate's side only (to compare two camgate builds side by side)")
	)
	flag.Parse()
	cpuProfile, camgateOnly = *profile, *only
	transcode.SetLogHandler(transcode.LogError, nil)
	var err error
	if *child != "" {
		err = runChild(*n, *clip, *port, *child)
	} else {
		err = run(*ffmpeg, *n, *duration, *clip, *port)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vsprocs:", err)
		os.Exit(1)
	}
}

var (
	cpuProfile  string
	camgateOnly bool
)

type usage struct {
	cpuPerSec float64 // CPU seconds per wall second
	pssMB     float64
	procs     int
}

func run(ffmpeg string, n int, d time.Duration, clip string, port int) error {
	if n < 2 || n > 16 {
		return errors.New("-n: between 2 and 16 (one 4x4 grid)")
	}
	if ffmpeg == "" && !camgateOnly {
		out, err := exec.Command("scripts/ffmpeg.sh", "--programs").Output()
		if err != nil {
			return fmt.Errorf("no -ffmpeg given and scripts/ffmpeg.sh --programs failed (run from the repository root): %w", err)
		}
		ffmpeg = strings.TrimSpace(string(out))
	}
	fmt.Printf("vsprocs: %d fake cameras playing %s (1080p25); outputs: %d subs 640x360@10 (512 kbit/s) + one 4x4 grid 1280x720@15 (2 Mbit/s); x264 veryfast, 1 thread per codec; %v per side\n",
		n, clip, n, d)
	ours, err := measureCamgate(n, d, clip, port)
	if err != nil {
		return fmt.Errorf("camgate: %w", err)
	}
	if camgateOnly {
		fmt.Printf("camgate: %.3f CPU s per s, %.1f MB PSS\n", ours.cpuPerSec, ours.pssMB)
		return nil
	}
	theirs, err := measureFFmpeg(ffmpeg, n, d, clip, port)
	if err != nil {
		return fmt.Errorf("process per output: %w", err)
	}
	fmt.Printf("%-20s %10s %16s %12s\n", "", "processes", "CPU s per s", "PSS")
	fmt.Printf("%-20s %10d %16.3f %9.1f MB\n", "camgate", ours.procs, ours.cpuPerSec, ours.pssMB)
	fmt.Printf("%-20s %10d %16.3f %9.1f MB\n", "ffmpeg per output", theirs.procs, theirs.cpuPerSec, theirs.pssMB)
	fmt.Printf("ratio camgate / process per output: CPU %.2f, memory %.2f\n", ours.cpuPerSec/theirs.cpuPerSec, ours.pssMB/theirs.pssMB)
	return nil
}

// startChild runs the fake cameras (and, for camgate, the readers) in another
// process, so that they are not measured.
func startChild(ctx context.Context, n int, clip string, port int, gateway string) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, os.Args[0], "-child", gateway, "-n", strconv.Itoa(n), "-clip", clip, "-port", strconv.Itoa(port))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	buf := make([]byte, 6)
	if _, err := out.Read(buf); err != nil { // "ready\n"
		return nil, fmt.Errorf("child process: %w", err)
	}
	return cmd, nil
}

func gridLayout(n int) []string {
	var names []string
	for i := 0; i < n; i++ {
		names = append(names, fmt.Sprintf("cam%d", i+1))
	}
	return names
}

func measureCamgate(n int, d time.Duration, clip string, port int) (usage, error) {
	var cams []pipeline.CameraConfig
	for i := 0; i < n; i++ {
		cams = append(cams, pipeline.CameraConfig{Name: fmt.Sprintf("cam%d", i+1), URL: bench.FakeCameraURL(port, i), Sub: pipeline.DefaultSub})
	}
	grid := pipeline.GridConfig{Name: "all", Cameras: gridLayout(n), Cols: 4, Rows: 4}
	g, err := pipeline.StartGateway(pipeline.Config{RTSP: rtsp.ServerConfig{Address: "127.0.0.1:0"}, Cameras: cams, Grids: []pipeline.GridConfig{grid}}, zerolog.Nop())
	if err != nil {
		return usage{}, err
	}
	defer g.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	child, err := startChild(ctx, n, clip, port, g.Server().Addr().String())
	if err != nil {
		return usage{}, err
	}
	defer child.Wait()
	defer cancel()
	time.Sleep(5 * time.Second)
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return usage{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return usage{}, err
		}
	}
	cpu0, t0 := bench.ProcessCPUTime(), time.Now()
	time.Sleep(d)
	cpu1, t1 := bench.ProcessCPUTime(), time.Now()
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	_, pss, err := bench.ProcessMemoryKB("self")
	if err != nil {
		return usage{}, err
	}
	for _, c := range g.Cameras() {
		st := c.Stats()
		if st.QueueDrops > 0 || st.Outputs[0].FPS < 9 {
			return usage{}, fmt.Errorf("camera %s did not keep up: %d drops, sub at %.1f fps", st.Name, st.QueueDrops, st.Outputs[0].FPS)
		}
	}
	if st := g.Grid("all").Stats(); st.Output.FPS < 14 || st.LiveTiles != n {
		return usage{}, fmt.Errorf("grid did not keep up: %.1f fps, %d live tiles", st.Output.FPS, st.LiveTiles)
	}
	return usage{cpuPerSec: (cpu1 - cpu0).Seconds() / t1.Sub(t0).Seconds(), pssMB: float64(pss) / 1024, procs: 1}, nil
}

func measureFFmpeg(ffmpeg string, n int, d time.Duration, clip string, port int) (usage, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	child, err := startChild(ctx, n, clip, port, "-")
	if err != nil {
		return usage{}, err
	}
	defer child.Wait()
	defer cancel()

	x264 := func(bitrate string, gop int) []string {
		return []string{"-c:v", "libx264", "-threads", "1", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "main",
			"-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate, "-g", strconv.Itoa(gop), "-bf", "0", "-f", "null", "-"}
	}
	input := func(i int) []string {
		return []string{"-threads", "1", "-rtsp_transport", "tcp", "-i", bench.FakeCameraURL(port, i)}
	}
	var cmds [][]string
	for i := 0; i < n; i++ {
		args := []string{"-nostdin", "-v", "error"}
		args = append(args, input(i)...)
		args = append(args, "-an", "-filter_threads", "1", "-vf", "fps=10,scale=640:360:flags=area")
		cmds = append(cmds, append(args, x264("512k", 20)...))
	}
	args := []string{"-nostdin", "-v", "error"}
	var filter, stack, layout []string
	for i := 0; i < n; i++ {
		args = append(args, input(i)...)
		filter = append(filter, fmt.Sprintf("[%d:v]fps=15,scale=320:180:flags=area:force_original_aspect_ratio=decrease,pad=320:180:(ow-iw)/2:(oh-ih)/2[v%d]", i, i))
		stack = append(stack, fmt.Sprintf("[v%d]", i))
		layout = append(layout, fmt.Sprintf("%d_%d", i%4*320, i/4*180))
	}
	graph := strings.Join(filter, ";") + ";" + strings.Join(stack, "") +
		fmt.Sprintf("xstack=inputs=%d:layout=%s:fill=black,pad=1280:720:0:0[out]", n, strings.Join(layout, "|"))
	args = append(args, "-filter_threads", "1", "-filter_complex", graph, "-map", "[out]")
	cmds = append(cmds, append(args, x264("2M", 30)...))

	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			p.Process.Kill()
			p.Wait()
		}
	}()
	for _, a := range cmds {
		p := exec.Command(ffmpeg, a...)
		p.Stderr = os.Stderr
		if err := p.Start(); err != nil {
			return usage{}, err
		}
		procs = append(procs, p)
	}
	time.Sleep(5 * time.Second)
	total := func() (time.Duration, error) {
		var sum time.Duration
		for _, p := range procs {
			c, err := bench.ProcessCPU(strconv.Itoa(p.Process.Pid))
			if err != nil {
				return 0, fmt.Errorf("ffmpeg %d ended early: %w", p.Process.Pid, err)
			}
			sum += c
		}
		return sum, nil
	}
	cpu0, err := total()
	if err != nil {
		return usage{}, err
	}
	t0 := time.Now()
	time.Sleep(d)
	cpu1, err := total()
	if err != nil {
		return usage{}, err
	}
	t1 := time.Now()
	pss := 0
	for _, p := range procs {
		_, v, err := bench.ProcessMemoryKB(strconv.Itoa(p.Process.Pid))
		if err != nil {
			return usage{}, err
		}
		pss += v
	}
	return usage{cpuPerSec: (cpu1 - cpu0).Seconds() / t1.Sub(t0).Seconds(), pssMB: float64(pss) / 1024, procs: len(procs)}, nil
}

// runChild serves the fake cameras and, given a gateway address, plays every
// sub stream and the grid there.
func runChild(n int, clip string, port int, gateway string) error {
	stop, err := bench.StartFakeCameras(n, clip, port)
	if err != nil {
		return err
	}
	defer stop()
	if gateway != "-" {
		urls := []string{fmt.Sprintf("rtsp://%s/grid/all", gateway)}
		for i := 0; i < n; i++ {
			urls = append(urls, fmt.Sprintf("rtsp://%s/cam%d/sub", gateway, i+1))
		}
		for _, u := range urls {
			c, err := rtspclient.Play(rtspclient.Config{URL: u, Retry: 10 * time.Second}) // retried while the gateway is not ready
			if err != nil {
				return err
			}
			defer c.Close()
		}
	}
	fmt.Println("ready")
	select {}
}
