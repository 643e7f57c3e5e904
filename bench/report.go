package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// Report is a whole benchmark run, as --json writes it.
type Report struct {
	Machine string   `json:"machine"` // CPU model and cores
	Input   string   `json:"input"`
	Frames  int      `json:"input_frames"`
	FPS     int      `json:"input_fps"`
	Goal    string   `json:"goal"`
	Results []Result `json:"results"`
}

// WriteTable prints the results as an aligned table, in their order, the
// Pareto front marked with "*". Stage costs are CPU ms per picture (1000/ms is
// that stage's pictures per second); chain fps is input pictures per second
// through the whole chain, one stream alone.
func WriteTable(w io.Writer, rs []Result, vsFFmpeg bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "\tsetting\tdecode ms\tscale ms\tencode ms\tchain fps\tcams/core\tcams/machine\tkbit/s\tPSNR dB\tmin\tSSIM\tenc p50 ms\tp99\t"
	if vsFFmpeg {
		head += "ffmpeg ratio\t"
	}
	fmt.Fprintln(tw, head)
	for _, r := range rs {
		mark := ""
		if r.Pareto {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.2f\t%.2f\t%.0f\t%.1f\t%.1f\t%.0f\t%.2f\t%.2f\t%.4f\t%.2f\t%.2f\t",
			mark, r.Label, r.DecodeMs, r.ScaleMs, r.EncodeMs, r.WallFPS, r.StreamsPerCore, r.StreamsPerMachine,
			r.Bitrate/1000, r.PSNR, r.MinPSNR, r.SSIM, r.EncodeP50Ms, r.EncodeP99Ms)
		if vsFFmpeg {
			fmt.Fprintf(tw, "%.2f\t", r.FFmpegRatio)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// WriteCSV writes one row per result, with the means (the per-picture
// quality is in the JSON).
func WriteCSV(w io.Writer, rs []Result) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"setting", "preset", "rate", "width", "height", "fps", "scale", "tune", "gop", "threads",
		"deblock", "decoder_threads", "in_frames", "out_frames", "decode_ms", "scale_ms", "encode_ms",
		"cpu_per_second", "wall_fps", "streams_per_core", "streams_per_machine", "bytes", "bitrate",
		"psnr", "psnr_min", "ssim", "ssim_min", "encode_p50_ms", "encode_p99_ms", "encode_delay_frames",
		"ffmpeg_cpu_per_second", "ffmpeg_ratio", "pareto"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, r := range rs {
		s, e := r.Setting, r.Setting.encoderConfig()
		_ = cw.Write([]string{r.Label, e.Preset, s.Rate(), strconv.Itoa(s.Width), strconv.Itoa(s.Height),
			strconv.Itoa(s.FPS), s.Scale.String(), e.Tune, strconv.Itoa(e.GOP), strconv.Itoa(e.Threads),
			strconv.FormatBool(s.Deblock), strconv.Itoa(max(1, s.DecoderThreads)),
			strconv.Itoa(r.InFrames), strconv.Itoa(r.OutFrames), f(r.DecodeMs), f(r.ScaleMs), f(r.EncodeMs),
			f(r.CPUPerSecond), f(r.WallFPS), f(r.StreamsPerCore), f(r.StreamsPerMachine),
			strconv.FormatInt(r.Bytes, 10), f(r.Bitrate), f(r.PSNR), f(r.MinPSNR), f(r.SSIM), f(r.MinSSIM),
			f(r.EncodeP50Ms), f(r.EncodeP99Ms), strconv.Itoa(r.EncodeDelay),
			f(r.FFmpegCPUPerSecond), f(r.FFmpegRatio), strconv.FormatBool(r.Pareto)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes the whole report, per-picture quality included.
func WriteJSON(w io.Writer, rep Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
