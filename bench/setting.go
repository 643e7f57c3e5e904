package bench

import (
	"fmt"
	"strings"

	"github.com/camgate/camgate/transcode"
)

// Setting is one way to make a sub stream: decoder options, output size and
// frame rate, scaling algorithm and x264 settings. It maps one to one onto a
// camera's `decoder:` and `sub:` sections in camgate.yml.
type Setting struct {
	Width, Height  int
	FPS            int // output frames per second; at most the input's
	Scale          transcode.ScaleAlgorithm
	Encoder        transcode.EncoderConfig // size and FPS are taken from above
	Deblock        bool                    // deblock every picture, not only keyframes
	DecoderThreads int
}

// encoderConfig is the complete x264 configuration of the setting.
func (s Setting) encoderConfig() transcode.EncoderConfig {
	e := s.Encoder
	e.Width, e.Height, e.FPS = s.Width, s.Height, s.FPS
	return e.WithDefaults()
}

// Rate is the rate control of a setting, as its label shows it.
func (s Setting) Rate() string {
	if e := s.encoderConfig(); e.Bitrate > 0 {
		return formatBitrate(e.Bitrate)
	}
	return fmt.Sprintf("crf%d", s.encoderConfig().CRF)
}

// Label names the setting in tables and charts: the axes a matrix usually
// varies first, then only what differs from camgate's defaults.
func (s Setting) Label() string {
	e := s.encoderConfig()
	parts := []string{e.Preset, s.Rate(), fmt.Sprintf("%dx%d@%d", s.Width, s.Height, s.FPS)}
	if s.Scale != transcode.ScaleArea {
		parts = append(parts, s.Scale.String())
	}
	if e.Tune != "zerolatency" {
		parts = append(parts, "tune="+e.Tune)
	}
	if e.GOP != 2*e.FPS {
		parts = append(parts, fmt.Sprintf("gop%d", e.GOP))
	}
	if e.Threads != 1 {
		parts = append(parts, fmt.Sprintf("x264x%d", e.Threads))
	}
	if s.Deblock {
		parts = append(parts, "deblock")
	}
	if s.DecoderThreads > 1 {
		parts = append(parts, fmt.Sprintf("decx%d", s.DecoderThreads))
	}
	return strings.Join(parts, " ")
}

// ConfigSnippet is the camgate.yml text that gives every camera this setting.
func (s Setting) ConfigSnippet() string {
	e := s.encoderConfig()
	var b strings.Builder
	b.WriteString("defaults:\n  sub:\n")
	fmt.Fprintf(&b, "    size: %dx%d\n    fps: %d\n", s.Width, s.Height, s.FPS)
	if e.Bitrate > 0 {
		fmt.Fprintf(&b, "    bitrate: %s\n", formatBitrate(e.Bitrate))
		if e.MaxRate != e.Bitrate {
			fmt.Fprintf(&b, "    maxrate: %s\n", formatBitrate(e.MaxRate))
		}
		if e.BufSize != e.MaxRate {
			fmt.Fprintf(&b, "    bufsize: %s\n", formatBitrate(e.BufSize))
		}
	} else {
		fmt.Fprintf(&b, "    crf: %d\n", e.CRF)
	}
	fmt.Fprintf(&b, "    preset: %s\n    tune: %s\n    gop: %d\n    threads: %d\n    scale: %s\n",
		e.Preset, e.Tune, e.GOP, e.Threads, s.Scale)
	fmt.Fprintf(&b, "  decoder:\n    deblock: %t\n    threads: %d\n", s.Deblock, max(1, s.DecoderThreads))
	return b.String()
}

// formatBitrate writes bit/s the way camgate.yml reads them: 512k, 2M.
func formatBitrate(bps int) string {
	switch {
	case bps%1_000_000 == 0:
		return fmt.Sprintf("%dM", bps/1_000_000)
	case bps%1_000 == 0:
		return fmt.Sprintf("%dk", bps/1_000)
	}
	return fmt.Sprint(bps)
}
