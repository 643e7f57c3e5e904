package bench

import (
	"fmt"
	"github.com/camgate/camgate/codec"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/transcode"
)

// Result is what one setting measured on an input.
type Result struct {
	Setting Setting `json:"-"`
	Label   string  `json:"setting"`

	InFrames  int `json:"in_frames"`  // input pictures decoded
	OutFrames int `json:"out_frames"` // pictures encoded

	// CPU milliseconds per picture of each stage: decode per input picture,
	// scale and encode per output picture. Time is process CPU time, so
	// decoder or x264 threads count.
	DecodeMs float64 `json:"decode_ms"`
	ScaleMs  float64 `json:"scale_ms"`
	EncodeMs float64 `json:"encode_ms"`

	// CPUPerSecond is CPU seconds per second of video for one camera's decode
	// and sub stream together: the cost of one camera.
	CPUPerSecond float64 `json:"cpu_per_second"`
	// WallFPS is input pictures per second of elapsed time through the whole
	// chain, one stream alone.
	WallFPS float64 `json:"wall_fps"`
	// StreamsPerCore is how many such cameras one core keeps in real time at
	// the input's frame rate (1 / CPUPerSecond).
	StreamsPerCore float64 `json:"streams_per_core"`
	// LoadedCPUPerSecond is CPUPerSecond measured with one stream per core
	// running at once (Runner.Parallel), where cores share caches, memory
	// bandwidth and, with SMT, execution units.
	LoadedCPUPerSecond float64 `json:"loaded_cpu_per_second,omitempty"`
	// StreamsPerMachine is how many such cameras all the cores keep in real
	// time: cores / (CPUPerSecond × the machine's load factor, see
	// ApplyLoadFactor), or cores × StreamsPerCore without loaded passes.
	StreamsPerMachine float64 `json:"streams_per_machine"`

	Bytes   int64   `json:"bytes"`   // encoded bytes, Annex-B with 4-byte start codes
	Bitrate float64 `json:"bitrate"` // bit/s: Bytes × 8 / the input's duration

	// Quality of each output picture against the reference (the input
	// deblocked in full and scaled with Lanczos to the output size), as
	// libav's psnr and ssim filters compute it.
	PSNR      float64   `json:"psnr"` // mean, dB, capped at transcode.MaxPSNR
	MinPSNR   float64   `json:"psnr_min"`
	SSIM      float64   `json:"ssim"`
	MinSSIM   float64   `json:"ssim_min"`
	FramePSNR []float64 `json:"frame_psnr"`
	FrameSSIM []float64 `json:"frame_ssim"`

	// Wall milliseconds x264 takes per picture (sending it and taking what
	// comes out), 50th and 99th percentiles, and the pictures it holds back
	// before the first comes out (0 with tune zerolatency; a lookahead adds
	// that many frame intervals of latency).
	EncodeP50Ms float64 `json:"encode_p50_ms"`
	EncodeP99Ms float64 `json:"encode_p99_ms"`
	EncodeDelay int     `json:"encode_delay_frames"`

	// The same chain run by the ffmpeg program (with --vs-ffmpeg): its CPU
	// seconds per second of video, and camgate's CPU over the program's.
	FFmpegCPUPerSecond float64 `json:"ffmpeg_cpu_per_second,omitempty"`
	FFmpegRatio        float64 `json:"ffmpeg_ratio,omitempty"`

	Pareto bool `json:"pareto"` // on the front of cameras against quality
}

// Runner measures settings on one input. It keeps the reference pictures
// between settings; Close frees them.
type Runner struct {
	In     *Input
	FFmpeg string // the ffmpeg program for the side-by-side; "" for none
	// Repeats is how many timed passes each setting gets; the one with the
	// least CPU counts, which filters out what else ran on the machine
	// (0 means 1).
	Repeats int
	// Parallel is how many streams of each setting then run at once to
	// measure the machine loaded, normally one per core; 0 or 1: none.
	Parallel int
	refs     *references
	file     string // the input as a file, for the ffmpeg program
}

// NewRunner returns a Runner for in.
func NewRunner(in *Input) *Runner { return &Runner{In: in, refs: newReferences(in)} }

// Close frees the reference pictures and the input's temporary file.
func (r *Runner) Close() {
	r.refs.Close()
	removeFile(r.file)
}

// Measure runs one setting: a timed pass through decode → scale → encode as a
// camera runs it, then, untimed, the quality of what came out.
func (r *Runner) Measure(s Setting) (Result, error) {
	var res Result
	var out *encoded
	for i := 0; i < max(1, r.Repeats); i++ {
		try := Result{Setting: s, Label: s.Label()}
		o, err := r.timedPass(s, &try)
		if err != nil {
			return try, fmt.Errorf("%s: %w", try.Label, err)
		}
		if out == nil || try.CPUPerSecond < res.CPUPerSecond {
			res, out = try, o
		}
	}
	if r.Parallel > 1 {
		loaded, err := r.loadedPass(s, r.Parallel)
		if err != nil {
			return res, fmt.Errorf("%s: %d streams at once: %w", res.Label, r.Parallel, err)
		}
		res.LoadedCPUPerSecond = loaded
	}
	if err := r.quality(s, out, &res); err != nil {
		return res, fmt.Errorf("%s: quality: %w", res.Label, err)
	}
	if r.FFmpeg != "" {
		if err := r.vsFFmpeg(s, &res); err != nil {
			return res, fmt.Errorf("%s: ffmpeg program: %w", res.Label, err)
		}
	}
	return res, nil
}

// encoded is the output of a timed pass: each encoded picture's NAL units,
// and which input picture it was made from.
type encoded struct {
	aus    [][][]byte
	source []int
}

func (r *Runner) timedPass(s Setting, res *Result) (*encoded, error) {
	in := r.In
	dec, err := transcode.NewDecoder(transcode.DecoderConfig{Codec: in.codec(), SkipLoopFilter: !s.Deblock, Threads: s.DecoderThreads})
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	sc, err := transcode.NewScaler(s.Width, s.Height, s.Scale)
	if err != nil {
		return nil, err
	}
	defer sc.Close()
	enc, err := transcode.NewEncoder(s.encoderConfig())
	if err != nil {
		return nil, err
	}
	defer enc.Close()

	// Everything this goroutine calls runs on one OS thread, as in a camera's
	// decode goroutine. Buffers are made before the clock starts.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	gate := pipeline.NewFrameRateGate(s.FPS)
	latency := make([]time.Duration, 0, len(in.AUs))
	out := &encoded{source: make([]int, 0, len(in.AUs))}
	arena := make([]byte, 0, in.size()) // rarely outgrown: an output is smaller than its 1080p input
	var decCPU, scCPU, encCPU time.Duration
	sent, received, delay := 0, 0, 0

	keep := func(au *codec.AccessUnit) error {
		if received == 0 {
			delay = sent - 1
		}
		received++
		nalus := make([][]byte, len(au.NALUs))
		for i, n := range au.NALUs {
			start := len(arena)
			arena = append(arena, n...)
			nalus[i] = arena[start:len(arena):len(arena)]
			res.Bytes += 4 + int64(len(n))
		}
		out.aus = append(out.aus, nalus)
		return nil
	}
	process := func(f *transcode.Frame) error {
		res.InFrames++
		if !gate.Accept(f.PTS()) {
			return nil
		}
		c0 := ProcessCPUTime()
		scaled, err := sc.Scale(f)
		if err != nil {
			return err
		}
		c1 := ProcessCPUTime()
		w0 := time.Now()
		sent++
		out.source = append(out.source, in.index(f.PTS()))
		if err := enc.Encode(scaled, keep); err != nil {
			return err
		}
		latency = append(latency, time.Since(w0))
		c2 := ProcessCPUTime()
		scCPU += c1 - c0
		encCPU += c2 - c1
		return nil
	}
	// Decoding's CPU is the time in Decode less the time in process, which
	// measures scaling and encoding itself.
	var inProcess time.Duration
	emit := func(f *transcode.Frame) error {
		c0 := ProcessCPUTime()
		err := process(f)
		inProcess += ProcessCPUTime() - c0
		return err
	}
	decode := func(au *codec.AccessUnit) error {
		c0, p0 := ProcessCPUTime(), inProcess
		err := dec.Decode(au, emit)
		decCPU += ProcessCPUTime() - c0 - (inProcess - p0)
		return err
	}

	wall0, cpu0 := time.Now(), ProcessCPUTime()
	var au codec.AccessUnit
	for i := range in.AUs {
		if err := decode(in.unit(i, &au)); err != nil {
			return nil, err
		}
	}
	if err := decode(nil); err != nil {
		return nil, err
	}
	c0 := ProcessCPUTime()
	if err := enc.Encode(nil, keep); err != nil {
		return nil, err
	}
	encCPU += ProcessCPUTime() - c0
	cpu, wall := ProcessCPUTime()-cpu0, time.Since(wall0)

	if received != sent || res.InFrames == 0 || received == 0 {
		return nil, fmt.Errorf("%d pictures decoded, %d sent to x264, %d came out", res.InFrames, sent, received)
	}
	res.OutFrames = received
	res.DecodeMs = ms(decCPU) / float64(res.InFrames)
	res.ScaleMs = ms(scCPU) / float64(received)
	res.EncodeMs = ms(encCPU) / float64(received)
	res.CPUPerSecond = cpu.Seconds() / in.Duration().Seconds()
	res.WallFPS = float64(res.InFrames) / wall.Seconds()
	res.StreamsPerCore = 1 / res.CPUPerSecond
	res.StreamsPerMachine = res.StreamsPerCore * float64(runtime.NumCPU())
	res.Bitrate = Bitrate(res.Bytes, in.Duration())
	slices.Sort(latency)
	res.EncodeP50Ms = ms(Percentile(latency, 50))
	res.EncodeP99Ms = ms(Percentile(latency, 99))
	res.EncodeDelay = delay
	return out, nil
}

// ApplyLoadFactor computes what running a stream on every core at once costs
// each stream, as the median over the results of loaded CPU over CPU alone
// (one figure for the machine: a single setting's loaded pass is noisier than
// the differences between settings), and sets every result's
// StreamsPerMachine from it. It returns the factor, 0 if no result has a
// loaded pass (StreamsPerMachine then stays linear).
func ApplyLoadFactor(rs []Result) float64 {
	var ratios []float64
	for _, r := range rs {
		if r.LoadedCPUPerSecond > 0 && r.CPUPerSecond > 0 {
			ratios = append(ratios, r.LoadedCPUPerSecond/r.CPUPerSecond)
		}
	}
	if len(ratios) == 0 {
		return 0
	}
	slices.Sort(ratios)
	factor := ratios[len(ratios)/2]
	if len(ratios)%2 == 0 {
		factor = (ratios[len(ratios)/2-1] + ratios[len(ratios)/2]) / 2
	}
	for i := range rs {
		rs[i].StreamsPerMachine = float64(runtime.NumCPU()) / (rs[i].CPUPerSecond * factor)
	}
	return factor
}

// loadedPass runs n timed passes of the setting at once and returns the CPU
// seconds each stream used per second of video, from the process's CPU time
// over the whole run (so decoder and x264 threads count as well).
func (r *Runner) loadedPass(s Setting, n int) (float64, error) {
	errs := make(chan error, n)
	start := make(chan struct{})
	var ready sync.WaitGroup
	ready.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			ready.Done()
			<-start
			_, err := r.timedPass(s, &Result{})
			errs <- err
		}()
	}
	ready.Wait()
	cpu0 := ProcessCPUTime()
	close(start)
	var first error
	for i := 0; i < n; i++ { // all of them, so that none outlives the call
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return 0, first
	}
	cpu := ProcessCPUTime() - cpu0
	return cpu.Seconds() / (float64(n) * r.In.Duration().Seconds()), nil
}

// quality decodes the output and compares each picture with the reference
// picture of the input picture it was made from.
func (r *Runner) quality(s Setting, out *encoded, res *Result) error {
	refs, err := r.refs.get(s.Width, s.Height)
	if err != nil {
		return err
	}
	dec, err := transcode.NewDecoder(transcode.DecoderConfig{Codec: codec.H264})
	if err != nil {
		return err
	}
	defer dec.Close()
	res.FramePSNR = make([]float64, 0, len(out.aus))
	res.FrameSSIM = make([]float64, 0, len(out.aus))
	compare := func(f *transcode.Frame) error {
		k := len(res.FramePSNR)
		if k >= len(out.source) {
			return fmt.Errorf("more pictures decoded than encoded")
		}
		ref := refs[out.source[k]]
		p, err := transcode.PSNR(ref, f)
		if err != nil {
			return err
		}
		q, err := transcode.SSIM(ref, f)
		if err != nil {
			return err
		}
		res.FramePSNR = append(res.FramePSNR, p)
		res.FrameSSIM = append(res.FrameSSIM, q)
		return nil
	}
	for k, nalus := range out.aus {
		au := codec.AccessUnit{NALUs: nalus, PTS: time.Duration(k) * time.Second / time.Duration(s.FPS), Keyframe: codec.IsKeyframe(codec.H264, nalus)}
		if err := dec.Decode(&au, compare); err != nil {
			return err
		}
	}
	if err := dec.Decode(nil, compare); err != nil {
		return err
	}
	if len(res.FramePSNR) != len(out.aus) {
		return fmt.Errorf("%d of %d encoded pictures decode", len(res.FramePSNR), len(out.aus))
	}
	res.PSNR, res.MinPSNR = meanMin(res.FramePSNR)
	res.SSIM, res.MinSSIM = meanMin(res.FrameSSIM)
	return nil
}

// Bitrate is bytes × 8 / d, in bit/s.
func Bitrate(bytes int64, d time.Duration) float64 {
	return float64(bytes) * 8 / d.Seconds()
}

// Percentile returns the p-th percentile (nearest rank) of sorted durations.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func meanMin(v []float64) (mean, lowest float64) {
	lowest = math.Inf(1)
	for _, x := range v {
		mean += x
		lowest = min(lowest, x)
	}
	return mean / float64(len(v)), lowest
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
