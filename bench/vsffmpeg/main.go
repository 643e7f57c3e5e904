// Command vsffmpeg runs the same transcode — decode the 1080p clip, scale to
// 640×360, encode with x264 — in camgate's in-process chain and in the ffmpeg
// program built from the same libav (scripts/ffmpeg.sh --programs), each on one
// thread, and prints the CPU seconds of both and their ratio.
//
// The ratio shows what the ffmpeg program's extra layers (demuxer, parser,
// filter graph, frame copies between them) cost over calling the libraries
// directly. The same libraries do the work underneath, so the target is ≤ 1.00.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/camgate/camgate/bench"
	"github.com/camgate/camgate/transcode"
)

func main() {
	var (
		ffmpeg  = flag.String("ffmpeg", "", "ffmpeg program built from the same libav (default: scripts/ffmpeg.sh --programs)")
		clip    = flag.String("clip", bench.TestdataDir()+"/cam1080p25.h264", "input clip, raw Annex-B H.264 at 25 fps")
		loops   = flag.Int("loops", 10, "passes over the clip per run")
		runs    = flag.Int("runs", 5, "runs of each side; the median is reported")
		width   = flag.Int("width", 640, "output width")
		height  = flag.Int("height", 360, "output height")
		preset  = flag.String("preset", "veryfast", "x264 preset")
		bitrate = flag.Int("bitrate", 1_000_000, "x264 bitrate, bit/s")
	)
	flag.Parse()
	if err := run(*ffmpeg, *clip, *loops, *runs, *width, *height, *preset, *bitrate); err != nil {
		fmt.Fprintln(os.Stderr, "vsffmpeg:", err)
		os.Exit(1)
	}
}

type result struct {
	cpu, wall time.Duration
	frames    int
	kbytes    int
}

func run(ffmpeg, clip string, loops, runs, w, h int, preset string, bitrate int) error {
	if ffmpeg == "" {
		out, err := exec.Command("scripts/ffmpeg.sh", "--programs").Output()
		if err != nil {
			return fmt.Errorf("no -ffmpeg given and scripts/ffmpeg.sh --programs failed (run from the repository root): %w", err)
		}
		ffmpeg = strings.TrimSpace(string(out))
	}
	transcode.SetLogHandler(transcode.LogError, nil)
	// The raw H.264 demuxer cannot loop (-stream_loop needs seeking), so both
	// sides read the clip repeated `loops` times from one file.
	src, err := os.ReadFile(clip)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp("", "vsffmpeg-*.h264")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	for l := 0; l < loops; l++ {
		if _, err := tmp.Write(src); err != nil {
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	aus, hevc, err := bench.LoadClip(tmp.Name())
	if err != nil {
		return err
	}
	if hevc {
		return errors.New("the comparison takes an H.264 clip")
	}
	fmt.Printf("clip %s × %d passes (%d frames) → %dx%d, x264 %s at %d kbit/s, 1 thread each, median of %d runs\n",
		clip, loops, len(aus), w, h, preset, bitrate/1000, runs)

	var ours, theirs []result
	for r := 0; r < runs; r++ {
		res, err := runCamgate(aus, w, h, preset, bitrate)
		if err != nil {
			return fmt.Errorf("camgate: %w", err)
		}
		ours = append(ours, res)
		res, err = runFFmpeg(ffmpeg, tmp.Name(), w, h, preset, bitrate)
		if err != nil {
			return fmt.Errorf("ffmpeg: %w", err)
		}
		theirs = append(theirs, res)
	}
	a, b := median(ours), median(theirs)
	if a.frames != b.frames {
		return fmt.Errorf("frame counts differ: camgate %d, ffmpeg %d", a.frames, b.frames)
	}
	fmt.Printf("%-8s %8s %8s %10s %10s %9s\n", "", "frames", "KiB", "CPU s", "wall s", "CPU ms/f")
	for _, row := range []struct {
		name string
		r    result
	}{{"camgate", a}, {"ffmpeg", b}} {
		fmt.Printf("%-8s %8d %8d %10.2f %10.2f %9.2f\n", row.name, row.r.frames, row.r.kbytes,
			row.r.cpu.Seconds(), row.r.wall.Seconds(), row.r.cpu.Seconds()*1000/float64(row.r.frames))
	}
	fmt.Printf("ratio camgate/ffmpeg CPU: %.2f\n", a.cpu.Seconds()/b.cpu.Seconds())
	return nil
}

func median(rs []result) result {
	sort.Slice(rs, func(i, j int) bool { return rs[i].cpu < rs[j].cpu })
	return rs[len(rs)/2]
}

func runCamgate(aus [][][]byte, w, h int, preset string, bitrate int) (result, error) {
	start, cpu0 := time.Now(), bench.ProcessCPUTime()
	c, err := bench.NewChain(bench.ChainConfig{
		Width: w, Height: h, FPS: 25,
		Encoder: transcode.EncoderConfig{Preset: preset, Bitrate: bitrate, GOP: 50},
	}, false)
	if err != nil {
		return result{}, err
	}
	defer c.Close()
	for _, au := range aus {
		if err := c.Push(au); err != nil {
			return result{}, err
		}
	}
	if err := c.Flush(); err != nil {
		return result{}, err
	}
	return result{cpu: bench.ProcessCPUTime() - cpu0, wall: time.Since(start), frames: c.Frames, kbytes: c.Bytes / 1024}, nil
}

func runFFmpeg(ffmpeg, clip string, w, h int, preset string, bitrate int) (result, error) {
	br := strconv.Itoa(bitrate)
	args := []string{
		"-hide_banner", "-nostdin", "-nostats",
		"-threads", "1", "-f", "h264", "-framerate", "25", "-i", clip,
		"-filter_threads", "1",
		"-vf", fmt.Sprintf("scale=%d:%d:flags=area", w, h),
		"-c:v", "libx264", "-threads", "1", "-preset", preset, "-tune", "zerolatency", "-profile:v", "main",
		"-b:v", br, "-maxrate", br, "-bufsize", br, "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
		"-bf", "0", "-forced-idr", "1", "-x264-params", "repeat-headers=1:scenecut=0",
		"-f", "null", "-",
	}
	run, err := bench.RunFFmpeg(ffmpeg, args)
	if err != nil {
		return result{}, err
	}
	return result{cpu: run.CPU, wall: run.Wall, frames: run.Frames, kbytes: run.KBytes}, nil
}
