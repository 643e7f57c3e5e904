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
	f, code, ok := parseBenchFlags(args, stderr)
	if !ok {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "camgate bench: %v\n", err)
		return 1
	}
	matrix, err := f.matrix()
	if err != nil {
		return fail(err)
	}
	maxBR, err := f.maxBitrateBPS()
	if err != nil {
		return fail(err)
	}
	if !slices.Contains(bench.Goals, f.goal) {
		return fail(fmt.Errorf("unknown goal %q (one of %s)", f.goal, strings.Join(bench.Goals, ", ")))
	}

	transcode.SetLogHandler(transcode.LogError, nil)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	in, err := benchInput(ctx, f.input, f.loops, f.inputFPS, f.record, stderr)
	if err != nil {
		return fail(err)
	}
	settings, err := matrix.Settings(in.FPS)
	if err != nil {
		return fail(err)
	}
	runner := bench.NewRunner(in)
	runner.Repeats = f.repeats
	runner.Parallel = f.parallel
	defer runner.Close()
	if f.vsFFmpeg {
		if runner.FFmpeg, err = findFFmpeg(f.ffmpegPath, stderr); err != nil {
			return fail(err)
		}
	}

	results, err := measureSettings(ctx, runner, in, settings, stderr)
	if err != nil {
		return fail(err)
	}
	recommended, err := printBenchReport(stdout, f, in, results, maxBR, runner.FFmpeg != "")
	if err != nil {
		return fail(err)
	}
	if err := writeBenchFiles(stderr, f, in, results, recommended); err != nil {
		return fail(err)
	}
	return 0
}

// benchFlags are camgate bench's flags.
type benchFlags struct {
	input, matrixFile, goal, maxBitrate string
	csvPath, jsonPath, chartPath        string
	ffmpegPath                          string
	loops, repeats, parallel, inputFPS  int
	record                              time.Duration
	minPSNR                             float64
	vsFFmpeg                            bool
	axes                                map[string]*string // by bench.Axes name
}

// parseBenchFlags reads the flags; when it returns !ok, the command ends
// with code.
func parseBenchFlags(args []string, stderr io.Writer) (f benchFlags, code int, ok bool) {
	fs := flag.NewFlagSet("camgate bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.input, "input", "", "a raw H.264/H.265 file, or an rtsp:// URL to record first (default: testdata/cam1080p25.h264, or a synthetic 1080p clip)")
	fs.IntVar(&f.loops, "loops", 3, "passes over a file input (the test clip is 4 s)")
	fs.IntVar(&f.repeats, "repeats", 2, "timed runs of each setting; the fastest counts (others were disturbed by something else)")
	fs.IntVar(&f.parallel, "parallel", runtime.NumCPU(), "streams of each setting run at once for the cameras-per-machine figure (1: estimate it from one stream)")
	fs.IntVar(&f.inputFPS, "input-fps", 25, "frame rate of a file input (raw streams do not carry it)")
	fs.DurationVar(&f.record, "record", 5*time.Second, "how much of an rtsp:// input to record")
	fs.StringVar(&f.matrixFile, "matrix", "", "YAML file of axes (preset: [veryfast, faster] …); axis flags override it")
	fs.StringVar(&f.goal, "goal", "cameras", "sort the table by: cameras, quality or bitrate")
	fs.Float64Var(&f.minPSNR, "min-psnr", 35, "the recommendation's lowest mean PSNR, dB")
	fs.StringVar(&f.maxBitrate, "max-bitrate", "", "the recommendation's highest bitrate, e.g. 1M (default: any)")
	fs.StringVar(&f.csvPath, "csv", "", "write the results as CSV to this file")
	fs.StringVar(&f.jsonPath, "json", "", "write the results, per-picture quality included, as JSON to this file")
	fs.StringVar(&f.chartPath, "chart", "", "write the speed/quality chart as SVG to this file")
	fs.BoolVar(&f.vsFFmpeg, "vs-ffmpeg", false, "also run each setting in the ffmpeg program and print the CPU ratio")
	fs.StringVar(&f.ffmpegPath, "ffmpeg", "", "the ffmpeg program for -vs-ffmpeg (default: scripts/ffmpeg.sh --programs, from the same FFmpeg source)")
	f.axes = map[string]*string{}
	for _, a := range bench.Axes {
		f.axes[a.Name] = fs.String(a.Name, "", "comma-separated "+a.Help)
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
			return f, 0, false
		}
		return f, 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "camgate bench: unexpected argument %q (flags only; see -h)\n", fs.Arg(0))
		return f, 2, false
	}
	return f, 0, true
}

// matrix is the default matrix, or the -matrix file's, with the axis flags
// over it.
func (f benchFlags) matrix() (bench.Matrix, error) {
	matrix := bench.DefaultMatrix()
	if f.matrixFile != "" {
		b, err := os.ReadFile(f.matrixFile)
		if err != nil {
			return nil, err
		}
		if matrix, err = bench.ParseMatrix(b); err != nil {
			return nil, fmt.Errorf("%s: %w", f.matrixFile, err)
		}
	}
	for _, a := range bench.Axes {
		if v := *f.axes[a.Name]; v != "" {
			if err := matrix.Set(a.Name, v); err != nil {
				return nil, err
			}
		}
	}
	return matrix, nil
}

// maxBitrateBPS is -max-bitrate in bit/s, 0 for any.
func (f benchFlags) maxBitrateBPS() (float64, error) {
	if f.maxBitrate == "" {
		return 0, nil
	}
	br, err := conf.ParseBitrate(f.maxBitrate)
	if err != nil {
		return 0, fmt.Errorf("-max-bitrate: %w", err)
	}
	return float64(br), nil
}

// measureSettings measures every setting in turn, with a progress bar, until
// done or interrupted.
func measureSettings(ctx context.Context, runner *bench.Runner, in *bench.Input, settings []bench.Setting, stderr io.Writer) ([]bench.Result, error) {
	fmt.Fprintf(stderr, "camgate bench: %s, %d pictures at %d fps (%v); %d settings on %s\n",
		in.Name, len(in.AUs), in.FPS, in.Duration(), len(settings), machine())
	bar := newProgress(stderr, len(settings))
	start := time.Now()
	var results []bench.Result
	for i, s := range settings {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr)
			return nil, fmt.Errorf("interrupted after %d of %d settings", i, len(settings))
		}
		bar.update(i, s.Label())
		r, err := runner.Measure(s)
		if err != nil {
			bar.done()
			return nil, err
		}
		results = append(results, r)
	}
	bar.done()
	fmt.Fprintf(stderr, "camgate bench: %d settings in %v\n", len(settings), time.Since(start).Round(time.Second))
	return results, nil
}

// printBenchReport sorts the results by the goal and prints the table and
// the recommendation, whose label it returns ("" for none).
func printBenchReport(stdout io.Writer, f benchFlags, in *bench.Input, results []bench.Result, maxBR float64, vsFFmpeg bool) (string, error) {
	load := bench.ApplyLoadFactor(results)
	bench.MarkPareto(results)
	_ = bench.SortByGoal(results, f.goal)
	fmt.Fprintf(stdout, "%s, %d pictures at %d fps; %s. Sorted by %s; * = Pareto front of cameras against PSNR.\n",
		in.Name, len(in.AUs), in.FPS, machine(), f.goal)
	if load > 0 {
		fmt.Fprintf(stdout, "With a stream on each of the %d cores at once, each costs %.2f× its CPU alone (median of %d settings): cams/machine = %d / (CPU per camera × %.2f).\n",
			runtime.NumCPU(), load, len(results), runtime.NumCPU(), load)
	}
	if err := bench.WriteTable(stdout, results, vsFFmpeg); err != nil {
		return "", err
	}
	best, ok := bench.Recommend(results, f.minPSNR, maxBR)
	limit := fmt.Sprintf("PSNR ≥ %.1f dB", f.minPSNR)
	if maxBR > 0 {
		limit += fmt.Sprintf(", bitrate ≤ %.0f kbit/s", maxBR/1000)
	}
	if !ok {
		fmt.Fprintf(stdout, "\nno setting has %s: lower -min-psnr, raise -max-bitrate, or try larger sizes, lower CRFs or higher bitrates\n", limit)
		return "", nil
	}
	fmt.Fprintf(stdout, "\nrecommended (most cameras with %s): %s — %.1f cameras per machine, %.2f dB, SSIM %.4f, %.0f kbit/s\n",
		limit, best.Label, best.StreamsPerMachine, best.PSNR, best.SSIM, best.Bitrate/1000)
	if err := printCascade(stdout, in, best.Setting); err != nil {
		return "", err
	}
	// The snippet comes last, to be copied as it is.
	fmt.Fprintf(stdout, "\n# camgate.yml\n%s", best.Setting.ConfigSnippet())
	return best.Label, nil
}

// printCascade reports what grid tiles made from the recommended sub
// stream's picture (camgate's cascade) look like against tiles scaled from
// the camera's picture.
func printCascade(stdout io.Writer, in *bench.Input, s bench.Setting) error {
	via := [2]int{s.Width, s.Height}
	var tiles [][2]int
	for _, t := range bench.CascadeTiles {
		if t[0] < via[0] && t[1] < via[1] {
			tiles = append(tiles, t)
		}
	}
	if len(tiles) == 0 {
		return nil
	}
	fmt.Fprintf(stdout, "\nGrid tiles (3×3, 4×4, 5×5 at 1280×720) made from this sub's %dx%d picture, against scaling the camera's:\n", via[0], via[1])
	res, err := bench.MeasureCascade(in, via, tiles, s.Scale)
	if err != nil {
		return err
	}
	bench.WriteCascade(stdout, res)
	return nil
}

// writeBenchFiles writes the CSV, JSON and chart files asked for.
func writeBenchFiles(stderr io.Writer, f benchFlags, in *bench.Input, results []bench.Result, recommended string) error {
	rep := bench.Report{Machine: machine(), Input: in.Name, Frames: len(in.AUs), FPS: in.FPS, Goal: f.goal, Results: results}
	write := func(path string, fn func(io.Writer) error) error {
		if path == "" {
			return nil
		}
		out, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := fn(out); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "camgate bench: wrote %s\n", path)
		return nil
	}
	title := fmt.Sprintf("camgate bench: %s, %s", filepath.Base(in.Name), machine())
	for _, err := range []error{
		write(f.csvPath, func(w io.Writer) error { return bench.WriteCSV(w, results) }),
		write(f.jsonPath, func(w io.Writer) error { return bench.WriteJSON(w, rep) }),
		write(f.chartPath, func(w io.Writer) error { return bench.WriteChart(w, results, title, f.minPSNR, recommended) }),
	} {
		if err != nil {
			return err
		}
	}
	return nil
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
