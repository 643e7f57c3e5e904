package pipeline

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/transcode"
)

// OutputConfig is a transcoded output: a size, a frame rate and x264 settings.
type OutputConfig struct {
	Enabled       bool
	Width, Height int
	FPS           int
	Scale         transcode.ScaleAlgorithm
	Encoder       transcode.EncoderConfig // Width, Height and FPS come from above
}

// DefaultSub is the sub stream a camera gets unless configured otherwise:
// small enough for a phone or a wall of tiles, 512 kbit/s, one thread.
var DefaultSub = OutputConfig{
	Enabled: true, Width: 640, Height: 360, FPS: 10,
	Encoder: transcode.EncoderConfig{Preset: "veryfast", Bitrate: 512_000},
}

// DefaultMainOutput is a transcoded main stream's picture unless configured
// otherwise (main: transcode): 720p25 at 2 Mbit/s.
var DefaultMainOutput = OutputConfig{
	Enabled: true, Width: 1280, Height: 720, FPS: 25,
	Encoder: transcode.EncoderConfig{Preset: "veryfast", Bitrate: 2_000_000},
}

// encoderConfig returns the encoder settings with the output's size and rate.
func (o OutputConfig) encoderConfig() transcode.EncoderConfig {
	e := o.Encoder
	e.Width, e.Height, e.FPS = o.Width, o.Height, o.FPS
	return e
}

// Validate reports what is wrong with an enabled output (nothing for a
// disabled one).
func (o OutputConfig) Validate() error {
	if !o.Enabled {
		return nil
	}
	if o.FPS <= 0 || o.FPS > 60 {
		return fmt.Errorf("fps %d: must be between 1 and 60", o.FPS)
	}
	for _, v := range []struct {
		name string
		val  int
	}{{"bitrate", o.Encoder.Bitrate}, {"maxrate", o.Encoder.MaxRate}, {"bufsize", o.Encoder.BufSize}} {
		if v.val > MaxBitrate {
			return fmt.Errorf("%s %d: at most %d (1G)", v.name, v.val, MaxBitrate)
		}
	}
	if o.Encoder.GOP < 0 || o.Encoder.GOP > MaxGOP {
		return fmt.Errorf("gop %d: must be between 1 and %d frames (0: 2 s of frames)", o.Encoder.GOP, MaxGOP)
	}
	return o.encoderConfig().Validate()
}

// MainConfig says what <camera>/main carries: the camera's own RTP
// (passthrough, the default, no decoding at all) or a transcode.
type MainConfig struct {
	Transcode bool
	Output    OutputConfig // when Transcode
}

// DecoderConfig tunes a camera's decoder.
type DecoderConfig struct {
	Threads int // default 1

	// Deblock runs H.264/H.265's deblocking filter on every picture. By
	// default it runs on keyframes only: camgate decodes for outputs that
	// downscale (sub streams, grid tiles), where the difference is invisible
	// (measured: 49 dB PSNR at worst at 640x360, bench/quality_test.go) and
	// decoding is about 20% cheaper. Turn it on for a transcoded main at full
	// size.
	Deblock bool
}

// CameraConfig is everything about one camera.
type CameraConfig struct {
	Name      string
	URL       string // credentials allowed; never logged or shown
	Transport rtsp.Transport

	// SubURL is the camera's own low-resolution stream, if it serves one
	// (credentials allowed): grid tiles, snapshots and the sub output are
	// made from it when it is big enough, and the sub output is that stream
	// itself when it already matches (sources.go). Optional.
	SubURL string

	ConnectTimeout time.Duration // default 10 s
	ReadTimeout    time.Duration // default 10 s
	StallTimeout   time.Duration // no video for this long is a failure; default 5 s
	Backoff        Backoff       // default 0.5 s … 30 s

	Main    MainConfig
	Sub     OutputConfig
	Decoder DecoderConfig

	// QueueSize is the number of access units between ingest and decoding;
	// when it is full, the camera skips to the next keyframe. Default 25.
	QueueSize int
}

// Default timings.
const (
	DefaultStallTimeout = 5 * time.Second
	DefaultBackoffMin   = 500 * time.Millisecond
	DefaultBackoffMax   = 30 * time.Second
	// DefaultQueueSize is the number of access units waiting for the
	// decoder: 1 s at 25 fps.
	DefaultQueueSize = 25
	// MaxQueueSize bounds queue_size: 40 s at 25 fps, far beyond any use,
	// and a memory bound (each entry holds an access unit).
	MaxQueueSize = 1000
	// MaxTimeout bounds the connect, read and stall timeouts.
	MaxTimeout = time.Hour
	// MaxBitrate bounds an output's bitrate, maxrate and bufsize (bit/s,
	// bits): x264 and libav keep some of them in a 32-bit int.
	MaxBitrate = 1_000_000_000
	// MaxGOP bounds an output's GOP, in frames.
	MaxGOP = 1000
)

// WithDefaults fills unset fields.
func (c CameraConfig) WithDefaults() CameraConfig {
	if c.StallTimeout <= 0 {
		c.StallTimeout = DefaultStallTimeout
	}
	if c.Backoff.Min <= 0 {
		c.Backoff.Min = DefaultBackoffMin
	}
	if c.Backoff.Max <= 0 {
		c.Backoff.Max = DefaultBackoffMax
	}
	if c.Backoff.Max < c.Backoff.Min {
		c.Backoff.Max = c.Backoff.Min
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	return c
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidName reports whether s can name a camera or grid: it becomes part of
// RTSP paths and URLs.
func ValidName(s string) error {
	if !nameRE.MatchString(s) {
		return fmt.Errorf("name %q: use 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit", s)
	}
	return nil
}

// Validate reports every problem of the configuration.
func (c CameraConfig) Validate() error {
	var errs []error
	if err := ValidName(c.Name); err != nil {
		errs = append(errs, err)
	}
	if c.URL == "" {
		errs = append(errs, errors.New("url: missing"))
	} else if _, err := rtsp.NewSource(rtsp.SourceConfig{URL: c.URL}); err != nil {
		errs = append(errs, err)
	}
	if c.SubURL != "" {
		if _, err := rtsp.NewSource(rtsp.SourceConfig{URL: c.SubURL}); err != nil {
			errs = append(errs, fmt.Errorf("sub_url: %w", err))
		} else if c.SubURL == c.URL {
			errs = append(errs, errors.New("sub_url: the same as url (leave it out: the camera has one stream)"))
		}
	}
	if err := c.Sub.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("sub: %w", err))
	}
	if c.Main.Transcode {
		o := c.Main.Output
		o.Enabled = true
		if err := o.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("main: %w", err))
		}
	}
	for _, t := range []struct {
		name string
		val  time.Duration
	}{{"stall_timeout", c.StallTimeout}, {"connect_timeout", c.ConnectTimeout}, {"read_timeout", c.ReadTimeout}} {
		if t.val < 0 || t.val > MaxTimeout {
			errs = append(errs, fmt.Errorf("%s %v: must be between 0 and %v", t.name, t.val, MaxTimeout))
		}
	}
	if c.QueueSize < 1 || c.QueueSize > MaxQueueSize {
		errs = append(errs, fmt.Errorf("queue_size %d: must be between 1 and %d (default %d)", c.QueueSize, MaxQueueSize, DefaultQueueSize))
	}
	if c.Decoder.Threads < 0 || c.Decoder.Threads > 16 {
		errs = append(errs, fmt.Errorf("decoder threads %d: must be between 0 and 16", c.Decoder.Threads))
	}
	return errors.Join(errs...)
}
