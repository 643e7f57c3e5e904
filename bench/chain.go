package bench

import (
	"fmt"
	"github.com/camgate/camgate/codec"
	"time"

	"github.com/camgate/camgate/transcode"
)

// ChainConfig is one decode → scale → encode chain, as a sub stream runs it.
type ChainConfig struct {
	Width, Height int
	Scale         transcode.ScaleAlgorithm
	Encoder       transcode.EncoderConfig // size and FPS are filled in from the chain
	Decoder       transcode.DecoderConfig // Codec is filled in from the clip
	FPS           int                     // input frame rate of the clip
}

// Chain is a running decode → scale → encode chain.
type Chain struct {
	dec     *transcode.Decoder
	sc      *transcode.Scaler
	enc     *transcode.Encoder
	fps     int
	emit    func(*codec.AccessUnit) error // c.count, bound once: no allocation per picture
	process func(*transcode.Frame) error  // c.scaleEncode, bound once
	codec   codec.Codec
	au      codec.AccessUnit // reused for every input picture
	n       int
	Bytes   int // encoded bytes so far
	Frames  int // encoded frames so far
}

// NewChain opens the three stages.
func NewChain(cfg ChainConfig, hevc bool) (*Chain, error) {
	if cfg.FPS <= 0 {
		cfg.FPS = 25
	}
	cfg.Decoder.Codec = codec.H264
	if hevc {
		cfg.Decoder.Codec = codec.H265
	}
	c := &Chain{fps: cfg.FPS, codec: cfg.Decoder.Codec}
	c.emit = c.count
	c.process = c.scaleEncode
	var err error
	if c.dec, err = transcode.NewDecoder(cfg.Decoder); err != nil {
		return nil, err
	}
	if c.sc, err = transcode.NewScaler(cfg.Width, cfg.Height, cfg.Scale); err != nil {
		c.Close()
		return nil, err
	}
	ec := cfg.Encoder
	ec.Width, ec.Height = cfg.Width, cfg.Height
	if ec.FPS == 0 {
		ec.FPS = cfg.FPS
	}
	if c.enc, err = transcode.NewEncoder(ec); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Push runs one access unit through the chain.
func (c *Chain) Push(nalus [][]byte) error {
	c.au = codec.AccessUnit{
		NALUs: nalus, PTS: time.Duration(c.n) * time.Second / time.Duration(c.fps),
		Keyframe: codec.IsKeyframe(c.codec, nalus),
	}
	c.n++
	return c.dec.Decode(&c.au, c.process)
}

// scaleEncode scales and encodes one decoded picture.
func (c *Chain) scaleEncode(f *transcode.Frame) error {
	s, err := c.sc.Scale(f)
	if err != nil {
		return err
	}
	if err := c.enc.Encode(s, c.emit); err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return nil
}

// Flush drains the encoder at the end of the input.
func (c *Chain) Flush() error {
	if err := c.enc.Encode(nil, c.emit); err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return nil
}

// count adds an encoded picture to the totals.
func (c *Chain) count(au *codec.AccessUnit) error {
	c.Frames++
	for _, n := range au.NALUs {
		c.Bytes += 4 + len(n)
	}
	return nil
}

// Close releases the chain.
func (c *Chain) Close() error {
	if c.dec != nil {
		c.dec.Close()
	}
	if c.sc != nil {
		c.sc.Close()
	}
	if c.enc != nil {
		c.enc.Close()
	}
	return nil
}
