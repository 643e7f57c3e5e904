package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/camgate/camgate/bench"
	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/transcode"
)

// cmdBench measures a matrix of sub-stream settings on one input and says
// which one fits the most cameras on this machine at a given quality.
func cmdBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("camgate bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	input := fs.String("input", "", "a raw H.264/H.265 file, or an rtsp:// URL to record first (default: testdata/cam1080p25.h264, or a synthetic 1080p clip)")
	loops := fs.Int("loops", 3, "passes over a file input (the test clip is 4 s)")
	repeats := fs.Int("repeats", 2, "timed runs of each setting; the fastest counts (others were disturbed by something else)")
	parallel := fs.Int("parallel", runtime.NumCPU(), "streams of each setting run at once for the cameras-per-machine figure (1: estimate it from one stream)")
	inputFPS := fs.Int("input-fps", 25, "frame rate of a file input (raw streams do not carry it)")
	record := fs.Duration("record", 5*time.Second, "how much of an rtsp:// input to record")
	matrixFile := fs.String("matrix", "", "YAML file of axes (preset: [veryfast, faster] …); axis flags override it")
	goal := fs.String("goal", "cameras", "sort the table by: cameras, quality or bitrate")
	minPSNR := fs.Float64("min-psnr", 35, "the recommendation's lowest mean PSNR, dB")
	maxBitrate := fs.String("max-bitrate", "", "the recommendation's highest bitrate, e.g. 1M (default: any)")
	csvPath := fs.String("csv", "", "write the results as CSV to this file")
	jsonPath := fs.String("json", "", "write the results, per-picture quality included, as JSON to this file")
	chartPath := fs.String("chart", "", "write the speed/quality chart as SVG to this file")
	vsFFmpeg := fs.Bool("vs-ffmpeg", false, "also run each setting in the ffmpeg program and print the CPU ratio")
	ffmpegPath := fs.String("ffmpeg", "", "the ffmpeg program for -vs-ffmpeg (default: scripts/ffmpeg.sh --programs, from the same FFmpeg source)")
	axes := map[string]*string{}
	for _, a := range bench.Axes {
		axes[a.Name] = fs.String(a.Name, "", "comma-separated "+a.Help)
	}
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: camgate bench [flags]

Measures decode → scale → x264 for every combination of the axes below on the
same input: CPU per stage, cameras per core and per machine in real time,
bitrate, PSNR and SSIM against the source, encode latency. Prints a table
(Pareto front of cameras against quality marked *) and the setting with the
most cameras above -min-psnr, as a camgate.yml snippet.

Default matrix: preset ultrafast,superfast,veryfast,faster,medium ×
rate crf23,crf28,512k × size 640x360,960x540 (30 settings, about 1.5 minutes
on 2 cores).

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "camgate bench: unexpected argument %q (flags only; see -h)\n", fs.Arg(0))
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "camgate bench: %v\n", err)
		return 1
	}

	matrix := bench.DefaultMatrix()
	if *matrixFile != "" {
		b, err := os.ReadFile(*matrixFile)
		if err != nil {
			return fail(err)
		}
		if matrix, err = bench.ParseMatrix(b); err != nil {
			return fail(fmt.Errorf("%s: %w", *matrixFile, err))
		}
	}
	for _, a := range bench.Axes {
		if v := *axes[a.Name]; v != "" {
			if err := matrix.Set(a.Name, v); err != nil {
				return fail(err)
			}
		}
	}
	var maxBR float64
	if *maxBitrate != "" {
		br, err := conf.ParseBitrate(*maxBitrate)
		if err != nil {
			return fail(fmt.Errorf("-max-bitrate: %w", err))
		}
		maxBR = float64(br)
	}
	if !slices.Contains(bench.Goals, *goal) {
		return fail(fmt.Errorf("unknown goal %q (one of %s)", *goal, strings.Join(bench.Goals, ", ")))
	}

	transcode.SetLogHandler(transcode.LogError, nil)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	in, err := benchInput(ctx, *input, *loops, *inputFPS, *record, stderr)
	if err != nil {
		return fail(err)
	}
	settings, err := matrix.Settings(in.FPS)
	if err != nil {
		return fail(err)
	}
	runner := bench.NewRunner(in)
	runner.Repeats = *repeats
	runner.Parallel = *parallel
	defer runner.Close()
	if *vsFFmpeg {
		if runner.FFmpeg, err = findFFmpeg(*ffmpegPath, stderr); err != nil {
			return fail(err)
		}
	}

	fmt.Fprintf(stderr, "camgate bench: %s, %d pictures at %d fps (%v); %d settings on %s\n",
		in.Name, len(in.AUs), in.FPS, in.Duration(), len(settings), machine())
	bar := newProgress(stderr, len(settings))
	start := time.Now()
	var results []bench.Result
	for i, s := range settings {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr)
			return fail(fmt.Errorf("interrupted after %d of %d settings", i, len(settings)))
		}
		bar.update(i, s.Label())
		r, err := runner.Measure(s)
		if err != nil {
			bar.done()
			return fail(err)
		}
		results = append(results, r)
	}
	bar.done()
	fmt.Fprintf(stderr, "camgate bench: %d settings in %v\n", len(settings), time.Since(start).Round(time.Second))

	load := bench.ApplyLoadFactor(results)
	bench.MarkPareto(results)
	_ = bench.SortByGoal(results, *goal)
	fmt.Fprintf(stdout, "%s, %d pictures at %d fps; %s. Sorted by %s; * = Pareto front of cameras against PSNR.\n",
		in.Name, len(in.AUs), in.FPS, machine(), *goal)
	if load > 0 {
		fmt.Fprintf(stdout, "With a stream on each of the %d cores at once, each costs %.2f× its CPU alone (median of %d settings): cams/machine = %d / (CPU per camera × %.2f).\n",
			runtime.NumCPU(), load, len(results), runtime.NumCPU(), load)
	}
	if err := bench.WriteTable(stdout, results, runner.FFmpeg != ""); err != nil {
		return fail(err)
	}
	best, ok := bench.Recommend(results, *minPSNR, maxBR)
	limit := fmt.Sprintf("PSNR ≥ %.1f dB", *minPSNR)
	if maxBR > 0 {
		limit += fmt.Sprintf(", bitrate ≤ %.0f kbit/s", maxBR/1000)
	}
	recommended := ""
	if ok {
		recommended = best.Label
		fmt.Fprintf(stdout, "\nrecommended (most cameras with %s): %s — %.1f cameras per machine, %.2f dB, SSIM %.4f, %.0f kbit/s\n",
			limit, best.Label, best.StreamsPerMachine, best.PSNR, best.SSIM, best.Bitrate/1000)
		fmt.Fprintf(stdout, "\n# camgate.yml\n%s", best.Setting.ConfigSnippet())
	} else {
		fmt.Fprintf(stdout, "\nno setting has %s: lower -min-psnr, raise -max-bitrate, or try larger sizes, lower CRFs or higher bitrates\n", limit)
	}

	rep := bench.Report{Machine: machine(), Input: in.Name, Frames: len(in.AUs), FPS: in.FPS, Goal: *goal, Results: results}
	write := func(path string, fn func(io.Writer) error) error {
		if path == "" {
			return nil
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "camgate bench: wrote %s\n", path)
		return nil
	}
	title := fmt.Sprintf("camgate bench: %s, %s", filepath.Base(in.Name), machine())
	for _, err := range []error{
		write(*csvPath, func(w io.Writer) error { return bench.WriteCSV(w, results) }),
		write(*jsonPath, func(w io.Writer) error { return bench.WriteJSON(w, rep) }),
		write(*chartPath, func(w io.Writer) error { return bench.WriteChart(w, results, title, *minPSNR, recommended) }),
	} {
		if err != nil {
			return fail(err)
		}
	}
	return 0
}

// benchInput loads, records or makes the input.
func benchInput(ctx context.Context, input string, loops, fps int, record time.Duration, stderr io.Writer) (*bench.Input, error) {
	switch {
	case strings.HasPrefix(input, "rtsp://") || strings.HasPrefix(input, "rtsps://"):
		fmt.Fprintf(stderr, "camgate bench: recording %v …\n", record)
		return bench.RecordRTSP(ctx, input, record)
	case input != "":
		return bench.LoadInput(input, loops, fps)
	}
	clip := filepath.Join(bench.TestdataDir(), "cam1080p25.h264")
	if _, err := os.Stat(clip); err == nil {
		return bench.LoadInput(clip, loops, 25)
	}
	// A binary away from its source tree: the demo's synthetic camera picture.
	fmt.Fprintln(stderr, "camgate bench: no -input and no testdata/ here: using a synthetic 1080p25 clip (give -input for your camera's video)")
	c, err := demo.Clip(1920, 1080, 25, 4, 50, 200)
	if err != nil {
		return nil, err
	}
	in := &bench.Input{Name: "synthetic 1080p25", HEVC: c.HEVC, FPS: 25}
	for l := 0; l < max(1, loops); l++ {
		in.AUs = append(in.AUs, c.AccessUnits...)
	}
	return in, nil
}

// findFFmpeg returns the ffmpeg program to compare with: the one given, or
// the one scripts/ffmpeg.sh builds from the same FFmpeg source.
func findFFmpeg(path string, stderr io.Writer) (string, error) {
	if path != "" {
		return exec.LookPath(path)
	}
	script := filepath.Join(bench.TestdataDir(), "..", "scripts", "ffmpeg.sh")
	if _, err := os.Stat(script); err != nil {
		return "", fmt.Errorf("-vs-ffmpeg needs -ffmpeg PATH (an ffmpeg program built from FFmpeg 7.1, e.g. by scripts/ffmpeg.sh --programs)")
	}
	fmt.Fprintln(stderr, "camgate bench: scripts/ffmpeg.sh --programs (builds the ffmpeg program once, a few minutes) …")
	cmd := exec.Command(script, "--programs")
	cmd.Stderr = stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/ffmpeg.sh --programs: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// machine describes the CPU: model and cores.
func machine() string {
	model := runtime.GOARCH
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	return fmt.Sprintf("%s × %d cores", model, runtime.NumCPU())
}

// progress is a progress bar on a terminal, a line per step elsewhere.
type progress struct {
	w     io.Writer
	n     int
	tty   bool
	start time.Time
}

func newProgress(w io.Writer, n int) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, n: n, tty: tty, start: time.Now()}
}

func (p *progress) update(i int, label string) {
	eta := "…"
	if i > 0 {
		left := time.Since(p.start) / time.Duration(i) * time.Duration(p.n-i)
		eta = left.Round(time.Second).String()
	}
	if !p.tty {
		fmt.Fprintf(p.w, "[%d/%d] %s (eta %s)\n", i+1, p.n, label, eta)
		return
	}
	const width = 30
	fill := width * i / p.n
	fmt.Fprintf(p.w, "\r\033[K[%s%s] %d/%d %s  eta %s", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), i+1, p.n, label, eta)
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
