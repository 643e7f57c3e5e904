package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// FFmpegArgs are the arguments that make the ffmpeg program do what a setting
// does in camgate: read a raw stream at the input's frame rate, decode with
// the same options, keep the output frame rate (fps filter), scale with the
// same algorithm, encode with the same x264 options, discard the result. Each
// stage gets the setting's thread counts, the filter graph one thread.
func FFmpegArgs(s Setting, input string, hevc bool, inputFPS int) []string {
	e := s.encoderConfig()
	format := "h264"
	if hevc {
		format = "hevc"
	}
	args := []string{"-hide_banner", "-nostdin", "-nostats",
		"-threads", strconv.Itoa(max(1, s.DecoderThreads))}
	if !s.Deblock {
		args = append(args, "-skip_loop_filter", "nokey")
	}
	args = append(args, "-f", format, "-framerate", strconv.Itoa(inputFPS), "-i", input,
		"-filter_threads", "1",
		"-vf", fmt.Sprintf("fps=%d,scale=%d:%d:flags=%s", s.FPS, s.Width, s.Height, s.Scale),
		"-c:v", "libx264", "-threads", strconv.Itoa(e.Threads), "-preset", e.Preset)
	if e.Tune != "none" {
		args = append(args, "-tune", e.Tune)
	}
	args = append(args, "-profile:v", e.Profile)
	if e.Bitrate > 0 {
		args = append(args, "-b:v", strconv.Itoa(e.Bitrate), "-maxrate", strconv.Itoa(e.MaxRate), "-bufsize", strconv.Itoa(e.BufSize))
	} else {
		args = append(args, "-crf", strconv.Itoa(e.CRF))
	}
	g := strconv.Itoa(e.GOP)
	return append(args, "-g", g, "-keyint_min", g, "-sc_threshold", "0", "-bf", strconv.Itoa(e.BFrames),
		"-forced-idr", "1", "-x264-params", "repeat-headers=1:scenecut=0", "-f", "null", "-")
}

// FFmpegRun is what one run of the ffmpeg program cost.
type FFmpegRun struct {
	CPU, Wall time.Duration
	Frames    int // encoded, from its last progress line
	KBytes    int // encoded size, from its final summary
}

var (
	ffmpegFrameRE = regexp.MustCompile(`frame=\s*(\d+)`)
	ffmpegVideoRE = regexp.MustCompile(`video:\s*(\d+)\s*Ki?B`)
)

// RunFFmpeg runs the ffmpeg program and measures its CPU time (user + system,
// all its threads) and wall time.
func RunFFmpeg(ffmpeg string, args []string) (FFmpegRun, error) {
	cmd := exec.Command(ffmpeg, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return FFmpegRun{}, fmt.Errorf("%s: %v: %s", ffmpeg, err, tail(stderr.String(), 10))
	}
	run := FFmpegRun{Wall: time.Since(start), CPU: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if m := ffmpegFrameRE.FindAllStringSubmatch(stderr.String(), -1); len(m) > 0 {
		run.Frames, _ = strconv.Atoi(m[len(m)-1][1])
	}
	if m := ffmpegVideoRE.FindStringSubmatch(stderr.String()); m != nil {
		run.KBytes, _ = strconv.Atoi(m[1])
	}
	if run.Frames == 0 {
		return run, fmt.Errorf("%s encoded no frames: %s", ffmpeg, tail(stderr.String(), 10))
	}
	return run, nil
}

// vsFFmpeg runs the setting's chain in the ffmpeg program on the same input.
func (r *Runner) vsFFmpeg(s Setting, res *Result) error {
	if r.file == "" {
		f, err := os.CreateTemp("", "camgate-bench-*.raw")
		if err != nil {
			return err
		}
		f.Close()
		r.file = f.Name()
		if err := r.In.writeAnnexB(r.file); err != nil {
			return err
		}
	}
	// As many runs as camgate's side had, the least CPU counting: the same
	// treatment for both.
	var cpu time.Duration
	for i := 0; i < max(1, r.Repeats); i++ {
		run, err := RunFFmpeg(r.FFmpeg, FFmpegArgs(s, r.file, r.In.HEVC, r.In.FPS))
		if err != nil {
			return err
		}
		if i == 0 || run.CPU < cpu {
			cpu = run.CPU
		}
	}
	res.FFmpegCPUPerSecond = cpu.Seconds() / r.In.Duration().Seconds()
	res.FFmpegRatio = res.CPUPerSecond / res.FFmpegCPUPerSecond
	return nil
}

func removeFile(path string) {
	if path != "" {
		os.Remove(path)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
