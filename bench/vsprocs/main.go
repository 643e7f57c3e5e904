// Command vsprocs measures how many cameras camgate keeps in real time on this
// machine against the process-per-output design, on the same work: N fake
// cameras (1080p25 by default), a 640×360@10 sub stream of each, and one grid
// of all N (1280×720@15, ceil(√N) columns).
//
//   - camgate: one process; each camera is pulled and decoded once, and its
//     RTSP server serves the sub streams and the grid.
//   - process per output: one ffmpeg per sub stream and one ffmpeg with xstack
//     for the grid, as RTSP servers that spawn ffmpeg do it; each reads the
//     cameras itself and publishes its output (-f rtsp) to an RTSP relay. The
//     ffmpeg program is built from the same FFmpeg source and flags as
//     camgate's libraries (scripts/ffmpeg.sh --programs).
//
// A harness process apart holds the fake cameras, the relay and a reader of
// every output of both sides (RTSP over TCP, counting the pictures it gets);
// its CPU is shown apart and counts for neither side. The relay is thus free
// for the ffmpeg side, where camgate pays for its own server.
//
// For each N of -steps, in turn, each side runs for -warmup and then
// -duration, and is said to keep real time when every reader got its stream's
// frame rate (sub 10, grid 15 fps) within 5% and nothing was lost: no packet
// a camera dropped because the side did not read it in time, no access unit
// dropped from camgate's decode queues, no warning or error line from any
// ffmpeg (missed RTP packets, undecodable pictures). A side that fails a
// step is not stepped further. Each row gives the CPU cores (CPU seconds per
// second of the side's processes only), the memory (sum of PSS), the
// readers' frame rates, and cores per camera against a floor: one camera's
// decode of the clip alone, at its frame rate, measured once per run. The end
// gives the largest N each side kept up with, their ratio and the machine.
//
// Both sides use one thread per decoder and encoder and the same x264
// settings (veryfast, zerolatency, sub 512 kbit/s GOP 20, grid 2 Mbit/s GOP
// 30).
//
//	scripts/with-libav.sh go run ./bench/vsprocs                          # steps 2, 3, 4, 6 … 32
//	scripts/with-libav.sh go run ./bench/vsprocs -steps 4,8,16 -duration 30s
//	scripts/with-libav.sh go run ./bench/vsprocs -camgate-only -n 8 -cpuprofile cpu.out
//	scripts/with-libav.sh go run ./bench/vsprocs -camera-sub             # cameras with their own sub stream
//	scripts/with-libav.sh go run ./bench/vsprocs -clip my.mp4 -clip-fps 30
//
// -camera-sub gives each fake camera its own 640×360@10 H.264 stream (made
// once from the clip with the ffmpeg program, x264 veryfast 512 kbit/s GOP 20,
// and cached): camgate is given it as the camera's sub_url, decodes the grid
// tiles from it and passes it through as the sub stream; on the other side
// each sub output is an "ffmpeg -c copy" relay of it and the grid's xstack
// reads the cameras' sub streams.
//
// -clip plays any raw Annex-B H.264 or H.265 file (.h264, .hevc) as it is,
// at -clip-fps (raw streams do not carry their frame rate reliably); any
// other file the ffmpeg program reads (MP4, Matroska, MJPEG …) is re-encoded
// once to H.264 Annex B at -clip-fps (x264 crf 18, GOP 2 s, no B-frames) and
// cached.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/camgate/camgate/bench"
	"github.com/camgate/camgate/transcode"
)

// The outputs, on both sides.
const (
	subWidth, subHeight   = 640, 360
	subFPS                = 10
	gridWidth, gridHeight = 1280, 720
	gridFPS               = 15
	// realTimeShare is the share of its frame rate a reader must get for
	// its stream to be kept in real time.
	realTimeShare = 0.95
	// maxCameras is the largest grid: 8×8 tiles.
	maxCameras = 64
)

const defaultSteps = "2,3,4,6,8,10,12,16,20,24,32"

type options struct {
	ffmpeg      string
	steps       []int
	n           int // the harness's cameras
	duration    time.Duration
	warmup      time.Duration
	clip        string
	clipFPS     int
	userClip    string // -clip, when clip is its re-encoding
	cameraSub   bool
	subClip     string // the cameras' own sub stream, made from clip with -camera-sub
	port        int
	cpuProfile  string
	camgateOnly bool
}

func main() {
	// As the camgate binary does: RSS must not follow the number of OS
	// threads (see transcode.LimitMallocArenas).
	transcode.LimitMallocArenas(2)
	o := &options{}
	var steps string
	var child string
	flag.StringVar(&o.ffmpeg, "ffmpeg", "", "ffmpeg program built by scripts/ffmpeg.sh --programs (default: ask the script)")
	flag.StringVar(&steps, "steps", defaultSteps, "numbers of cameras to step through, ascending (2 to 64)")
	flag.IntVar(&o.n, "n", 0, "one number of cameras only (the same as -steps N)")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measurement time of each side at each step, after the warm-up")
	flag.DurationVar(&o.warmup, "warmup", 5*time.Second, "time each side runs at each step, once every reader gets pictures, before it is measured")
	flag.StringVar(&o.clip, "clip", bench.TestdataDir()+"/cam1080p25.h264", "clip the fake cameras play: raw H.264/H.265 Annex B, or any file the ffmpeg program reads")
	flag.IntVar(&o.clipFPS, "clip-fps", 25, "frame rate the fake cameras play the clip at")
	flag.BoolVar(&o.cameraSub, "camera-sub", false, "each camera also serves its own 640x360@10 sub stream, which both sides use")
	flag.IntVar(&o.port, "port", 0, fmt.Sprintf("first port of the fake cameras, their own sub streams %d above (default: ephemeral ports)", bench.FakeSubPortOffset))
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of camgate's measurement window to this file (-n<N> appended with several steps)")
	flag.BoolVar(&o.camgateOnly, "camgate-only", false, "measure camgate's side only (to compare two camgate builds side by side)")
	flag.StringVar(&child, "child", "", "internal: run the harness")
	flag.StringVar(&o.subClip, "sub-clip", "", "internal: the harness's sub stream clip")
	flag.Parse()
	transcode.SetLogHandler(transcode.LogError, nil)
	var err error
	if child != "" {
		err = runHarness(o)
	} else {
		stepsSet := false
		flag.Visit(func(f *flag.Flag) { stepsSet = stepsSet || f.Name == "steps" })
		if o.n != 0 && !stepsSet {
			steps = strconv.Itoa(o.n)
		}
		if o.steps, err = parseSteps(steps); err == nil {
			err = run(o)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vsprocs:", err)
		os.Exit(1)
	}
}

func parseSteps(s string) ([]int, error) {
	var steps []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 2 || n > maxCameras {
			return nil, fmt.Errorf("-steps: %q is not a number of cameras from 2 to %d", f, maxCameras)
		}
		if len(steps) > 0 && n <= steps[len(steps)-1] {
			return nil, errors.New("-steps: ascending, please")
		}
		steps = append(steps, n)
	}
	return steps, nil
}

// ffmpegProgram returns the ffmpeg program, asking scripts/ffmpeg.sh the
// first time when -ffmpeg was not given.
func (o *options) ffmpegProgram() (string, error) {
	if o.ffmpeg != "" {
		return o.ffmpeg, nil
	}
	out, err := exec.Command("scripts/ffmpeg.sh", "--programs").Output()
	if err != nil {
		return "", fmt.Errorf("no -ffmpeg given and scripts/ffmpeg.sh --programs failed (run from the repository root): %w", err)
	}
	o.ffmpeg = strings.TrimSpace(string(out))
	return o.ffmpeg, nil
}

func run(o *options) error {
	if err := prepareClips(o); err != nil {
		return err
	}
	floor, err := measureFloors(o)
	if err != nil {
		return err
	}
	printHeader(o, floor)
	sides := []side{{name: "camgate", measure: measureCamgate}}
	if !o.camgateOnly {
		if _, err := o.ffmpegProgram(); err != nil {
			return err
		}
		sides = append(sides, side{name: "ffmpeg per output", measure: measureFFmpeg})
	}
	stepSides(o, sides, floor)
	printSummary(o, sides)
	return nil
}
