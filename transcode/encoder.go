package transcode

import (
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/asticode/go-astiav"

	"github.com/camgate/camgate/codec"
)

// EncoderConfig holds the x264 settings of an output stream. The zero value
// of every field but the size means "the default".
type EncoderConfig struct {
	Width, Height int

	// FPS is the nominal frame rate, for rate control and GOP length. Default 15.
	FPS int

	Preset  string // x264 preset; default "veryfast"
	Tune    string // x264 tune; default "zerolatency" (no lookahead, no delay); "none" for no tune
	Profile string // "baseline", "main" or "high"; default "main", which every player decodes

	// Rate control: constant quality CRF (default 23) unless Bitrate is set,
	// then average bitrate in bit/s, capped by MaxRate (default Bitrate) over
	// BufSize bits (default one second of MaxRate).
	CRF     int
	Bitrate int
	MaxRate int
	BufSize int

	// GOP is the number of frames from one IDR to the next; default 2 s of frames.
	GOP int

	// Threads for x264; default 1, which gives the most streams per machine.
	Threads int

	// BFrames; default 0. B-frames add delay and confuse some RTSP clients.
	BFrames int
}

// WithDefaults returns the configuration with every unset field at its default.
func (c EncoderConfig) WithDefaults() EncoderConfig {
	if c.FPS <= 0 {
		c.FPS = 15
	}
	if c.Preset == "" {
		c.Preset = "veryfast"
	}
	if c.Tune == "" {
		c.Tune = "zerolatency"
	}
	if c.Profile == "" {
		c.Profile = "main"
	}
	if c.Bitrate == 0 && c.CRF == 0 {
		c.CRF = 23
	}
	if c.Bitrate > 0 {
		if c.MaxRate == 0 {
			c.MaxRate = c.Bitrate
		}
		if c.BufSize == 0 {
			c.BufSize = c.MaxRate
		}
	}
	if c.GOP <= 0 {
		c.GOP = 2 * c.FPS
	}
	if c.Threads <= 0 {
		c.Threads = 1
	}
	return c
}

// Validate reports the first setting x264 would refuse.
func (c EncoderConfig) Validate() error {
	if err := checkSize(c.Width, c.Height); err != nil {
		return err
	}
	c = c.WithDefaults()
	switch {
	case c.FPS > 120:
		return fmt.Errorf("fps %d: at most 120", c.FPS)
	case c.CRF < 0 || c.CRF > 51:
		return fmt.Errorf("crf %d: must be between 0 and 51", c.CRF)
	case c.Bitrate < 0 || c.MaxRate < 0 || c.BufSize < 0:
		return errors.New("bitrate, maxrate and bufsize must not be negative")
	case c.Bitrate > 0 && c.MaxRate < c.Bitrate:
		return fmt.Errorf("maxrate %d is below bitrate %d", c.MaxRate, c.Bitrate)
	case c.BFrames < 0 || c.BFrames > 16:
		return fmt.Errorf("bframes %d: must be between 0 and 16", c.BFrames)
	case c.Threads > 64:
		return fmt.Errorf("threads %d: at most 64", c.Threads)
	}
	if !oneOf(c.Preset, "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo") {
		return fmt.Errorf("preset %q: one of ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow", c.Preset)
	}
	if !oneOf(c.Tune, "none", "zerolatency", "film", "animation", "grain", "stillimage", "psnr", "ssim", "fastdecode") {
		return fmt.Errorf("tune %q: one of none, zerolatency, film, animation, grain, stillimage, psnr, ssim, fastdecode", c.Tune)
	}
	if !oneOf(c.Profile, "baseline", "main", "high") {
		return fmt.Errorf("profile %q: one of baseline, main, high", c.Profile)
	}
	if c.Profile == "baseline" && c.BFrames > 0 {
		return errors.New("profile baseline has no B-frames: set bframes to 0")
	}
	return nil
}

func oneOf(s string, set ...string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

// Encoder encodes yuv420p frames to H.264 with x264.
//
// Every IDR access unit carries SPS and PPS, so a reader that joins at any
// keyframe can decode. Output timestamps never go backwards, even when the
// input's do (a camera reconnecting with a new clock).
type Encoder struct {
	cfg       EncoderConfig
	ctx       *astiav.CodecContext
	pkt       *packet
	au        codec.AccessUnit
	buf       []byte
	lastPTS   int64
	started   bool
	forceKey  atomic.Bool
	paramSets [][]byte
	frames    uint64
}

// NewEncoder opens an x264 encoder.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("encoder: %w", err)
	}
	cfg = cfg.WithDefaults()
	x264 := astiav.FindEncoderByName("libx264")
	if x264 == nil {
		return nil, errors.New("encoder: libav was built without libx264")
	}
	e := &Encoder{cfg: cfg}
	if e.ctx = astiav.AllocCodecContext(x264); e.ctx == nil {
		return nil, errors.New("encoder: avcodec_alloc_context3 failed")
	}
	var err error
	if e.pkt, err = newPacket(); err != nil {
		e.Close()
		return nil, fmt.Errorf("encoder: %w", err)
	}
	if err := openX264(e.ctx, x264, cfg); err != nil {
		e.Close()
		return nil, fmt.Errorf("encoder: open libx264 %dx%d: %w", cfg.Width, cfg.Height, err)
	}
	// The SPS and PPS this encoder puts in front of each IDR, known now so
	// that the stream's SDP can announce them before the first picture.
	if e.paramSets, err = x264Headers(x264, cfg); err != nil {
		e.Close()
		return nil, fmt.Errorf("encoder: %w", err)
	}
	return e, nil
}

// openX264 configures a codec context for cfg and opens it.
func openX264(c *astiav.CodecContext, x264 *astiav.Codec, cfg EncoderConfig) error {
	c.SetWidth(cfg.Width)
	c.SetHeight(cfg.Height)
	c.SetPixelFormat(astiav.PixelFormatYuv420P)
	c.SetTimeBase(timeBase)
	c.SetFramerate(astiav.NewRational(cfg.FPS, 1))
	c.SetGopSize(cfg.GOP)
	c.SetMaxBFrames(cfg.BFrames)
	c.SetThreadCount(cfg.Threads)
	if cfg.Bitrate > 0 {
		c.SetBitRate(int64(cfg.Bitrate))
		c.SetRateControlMaxRate(int64(cfg.MaxRate))
		c.SetRateControlBufferSize(cfg.BufSize)
	}

	opts := astiav.NewDictionary()
	defer opts.Free()
	_ = opts.Set("preset", cfg.Preset, 0)
	if cfg.Tune != "none" {
		_ = opts.Set("tune", cfg.Tune, 0)
	}
	_ = opts.Set("profile", cfg.Profile, 0)
	if cfg.Bitrate == 0 {
		_ = opts.Set("crf", strconv.Itoa(cfg.CRF), 0)
	}
	// A forced keyframe must be an IDR, not a recovery-point I-frame, so that a
	// new reader can start there.
	_ = opts.Set("forced-idr", "1", 0)
	// IDRs exactly every GOP frames: no extra ones at scene cuts, no fewer.
	_ = opts.Set("keyint_min", strconv.Itoa(cfg.GOP), 0)
	_ = opts.Set("sc_threshold", "0", 0)
	// SPS/PPS in front of every IDR (x264's repeat-headers, kept on because no
	// global header is asked for).
	_ = opts.Set("x264-params", "repeat-headers=1:scenecut=0", 0)
	return c.Open(x264, opts)
}

// x264Headers opens a second x264 with the same settings and a global header,
// which makes it write its SPS and PPS at once (into extradata), and returns
// them. They are the ones the real encoder repeats in band: the parameter sets
// follow from the settings alone.
func x264Headers(x264 *astiav.Codec, cfg EncoderConfig) ([][]byte, error) {
	c := astiav.AllocCodecContext(x264)
	if c == nil {
		return nil, errors.New("avcodec_alloc_context3 failed")
	}
	defer c.Free()
	c.SetFlags(c.Flags().Add(astiav.CodecContextFlagGlobalHeader))
	if err := openX264(c, x264, cfg); err != nil {
		return nil, fmt.Errorf("x264 headers: %w", err)
	}
	ps := codec.FromList(codec.H264, codec.SplitAnnexB(c.ExtraData()))
	if ps.SPS == nil || ps.PPS == nil {
		return nil, errors.New("x264 headers: no SPS and PPS in the extradata")
	}
	return ps.List(), nil
}

// ParameterSets returns the SPS and PPS (without start codes) that precede
// every IDR this encoder makes.
func (e *Encoder) ParameterSets() [][]byte { return e.paramSets }

// Config returns the effective configuration, defaults filled in.
func (e *Encoder) Config() EncoderConfig { return e.cfg }

// ForceKeyframe makes the next encoded frame an IDR. It is safe to call from
// any goroutine, for example when a reader joins the output stream.
func (e *Encoder) ForceKeyframe() { e.forceKey.Store(true) }

// Send encodes one frame, which must have the encoder's size. Send(nil)
// flushes the encoder at the end of a stream. After Send, call Receive until it
// returns nil.
func (e *Encoder) Send(f *Frame) error {
	if f == nil {
		if ret := sendFrame(e.ctx, nil); ret < 0 && ret != codeEOF {
			return avError("encoder: flush", ret)
		}
		return nil
	}
	if f.f.Width() != e.cfg.Width || f.f.Height() != e.cfg.Height {
		return fmt.Errorf("encoder: frame is %dx%d, encoder is %dx%d", f.f.Width(), f.f.Height(), e.cfg.Width, e.cfg.Height)
	}
	pts := f.f.Pts()
	if e.started && pts <= e.lastPTS {
		pts = e.lastPTS + 1
	}
	e.lastPTS, e.started = pts, true
	f.f.SetPts(pts)
	setKeyRequest(f.f, e.forceKey.Swap(false))
	ret := sendFrame(e.ctx, f.f)
	setKeyRequest(f.f, false)
	if ret < 0 {
		return avError("encoder: libx264", ret)
	}
	e.frames++
	return nil
}

// Encode sends f (nil: the end of the stream) and hands every access unit
// that comes out to emit, in order; each is valid only during its call. A
// keyframe is an IDR picture, preceded in its NAL units by SPS and PPS. It is
// Send followed by Receive until nil, the loop every user of an encoder runs.
func (e *Encoder) Encode(f *Frame, emit func(*codec.AccessUnit) error) error {
	if err := e.Send(f); err != nil {
		return err
	}
	for {
		au, err := e.Receive()
		if err != nil || au == nil {
			return err
		}
		if err := emit(au); err != nil {
			return err
		}
	}
}

// Receive returns the next encoded access unit, or nil when the encoder needs
// more input. The access unit is valid until the next call to Receive.
func (e *Encoder) Receive() (*codec.AccessUnit, error) {
	ret := receivePacket(e.ctx, e.pkt)
	switch {
	case ret == codeAgain || ret == codeEOF:
		return nil, nil
	case ret < 0:
		return nil, avError("encoder: libx264", ret)
	}
	data := e.pkt.bytes()
	if cap(e.buf) < len(data) {
		e.buf = make([]byte, len(data), len(data)*2)
	}
	e.buf = e.buf[:len(data)]
	copy(e.buf, data)
	e.au.NALUs = codec.AppendSplitAnnexB(e.au.NALUs[:0], e.buf)
	e.au.PTS = codec.Duration(e.pkt.pts(), codec.VideoClockRate)
	e.au.Keyframe = e.pkt.key()
	return &e.au, nil
}

// Close releases the encoder. It is safe to call more than once.
func (e *Encoder) Close() error {
	if e.ctx != nil {
		e.ctx.Free()
		e.ctx = nil
	}
	e.pkt.free()
	e.pkt = nil
	return nil
}
