package transcode

import (
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/asticode/go-astiav"

	"github.com/camgate/camgate/codec"
)

// DecoderConfig says what to decode and how.
type DecoderConfig struct {
	Codec codec.Codec

	// ParameterSets primes the decoder with the SPS/PPS (and VPS for H.265) NAL
	// units announced in the camera's SDP, for cameras that do not repeat them
	// in band. Optional.
	ParameterSets [][]byte

	// Threads is the number of decoding threads; 0 means 1. One thread decodes
	// a 1080p camera several times faster than real time with the lowest
	// latency; more threads add one frame of delay each.
	Threads int

	// SkipLoopFilter skips the deblocking filter on non-key frames: faster, at
	// the cost of some blockiness that a downscaled sub stream hides well.
	SkipLoopFilter bool
}

// DecoderStats counts what a Decoder has seen.
type DecoderStats struct {
	AccessUnits uint64 // access units received
	Frames      uint64 // pictures output
	Errors      uint64 // corrupt or undecodable access units and pictures
	Skipped     uint64 // access units dropped while waiting for a keyframe
}

// errCorrupt reports a picture the decoder marked as damaged; it was dropped
// and decoding resumes at the next keyframe.
var errCorrupt = errors.New("corrupt picture dropped, waiting for the next keyframe")

// Decoder decodes H.264 or H.265 access units into frames.
//
// Call Send with each access unit, then Receive until it returns a nil frame.
// The decoder starts at the first keyframe; after an error it drops input up
// to the next keyframe instead of showing a smeared picture.
type Decoder struct {
	cfg     DecoderConfig
	ctx     *astiav.CodecContext
	pkt     *packet
	frame   Frame
	waitKey bool
	open    bool
	stats   DecoderStats
}

// liveDecoders counts open decoders.
var liveDecoders atomic.Int64

// LiveDecoders returns the number of decoders open in the process. It is the
// one process-wide check of the design's central promise, one decode per
// camera whatever its outputs and grids, and of no decoder left behind by a
// reconnect. Only tests read it today, but they are the pipeline's tests, in
// another package, which an export_test.go cannot reach; it costs an atomic
// add per decoder opened or closed.
func LiveDecoders() int { return int(liveDecoders.Load()) }

// NewDecoder opens a decoder.
func NewDecoder(cfg DecoderConfig) (*Decoder, error) {
	var id astiav.CodecID
	switch cfg.Codec {
	case codec.H264:
		id = astiav.CodecIDH264
	case codec.H265:
		id = astiav.CodecIDHevc
	default:
		return nil, fmt.Errorf("decoder: unsupported codec %v", cfg.Codec)
	}
	libavDecoder := astiav.FindDecoder(id)
	if libavDecoder == nil {
		return nil, fmt.Errorf("decoder: libav has no %v decoder", cfg.Codec)
	}
	d := &Decoder{cfg: cfg, waitKey: true}
	d.ctx = astiav.AllocCodecContext(libavDecoder)
	if d.ctx == nil {
		return nil, errors.New("decoder: avcodec_alloc_context3 failed")
	}
	var err error
	if d.pkt, err = newPacket(); err != nil {
		d.Close()
		return nil, fmt.Errorf("decoder: %w", err)
	}
	d.frame.f = astiav.AllocFrame()
	d.ctx.SetTimeBase(timeBase)

	if len(cfg.ParameterSets) > 0 {
		var extra []byte
		for _, ps := range cfg.ParameterSets {
			extra = append(extra, 0, 0, 0, 1)
			extra = append(extra, ps...)
		}
		if err := d.ctx.SetExtraData(extra); err != nil {
			d.Close()
			return nil, fmt.Errorf("decoder: parameter sets: %w", err)
		}
	}

	threads := cfg.Threads
	if threads <= 0 {
		threads = 1
	}
	opts := astiav.NewDictionary()
	defer opts.Free()
	_ = opts.Set("threads", strconv.Itoa(threads), 0)
	if cfg.SkipLoopFilter {
		_ = opts.Set("skip_loop_filter", "nokey", 0)
	}
	if err := d.ctx.Open(libavDecoder, opts); err != nil {
		d.Close()
		return nil, fmt.Errorf("decoder: open %v: %w", cfg.Codec, err)
	}
	d.open = true
	liveDecoders.Add(1)
	return d, nil
}

// Decode sends au (nil: the end of the input, which flushes the pictures the
// decoder holds back) and hands every picture that comes out to emit, in
// order; each is valid only during its call. It is Send (or Flush) followed
// by Receive until nil, the loop every user of a decoder runs. An error from
// the decoder concerns this access unit only (the decoder stays usable, from
// the next keyframe); an error from emit stops the loop and is returned.
func (d *Decoder) Decode(au *codec.AccessUnit, emit func(*Frame) error) error {
	var err error
	if au == nil {
		err = d.Flush()
	} else {
		err = d.Send(au)
	}
	for err == nil {
		var f *Frame
		if f, err = d.Receive(); f == nil {
			break
		}
		err = emit(f)
	}
	return err
}

// Send feeds one access unit. Access units before the first keyframe, or
// after an error and before the next keyframe, are counted as skipped and
// ignored. A returned error concerns this access unit only; the decoder
// stays usable.
func (d *Decoder) Send(au *codec.AccessUnit) error {
	d.stats.AccessUnits++
	if d.waitKey {
		if !au.Keyframe {
			d.stats.Skipped++
			return nil
		}
		d.waitKey = false
	}
	if err := d.pkt.fillAnnexB(au.NALUs, codec.Ticks(au.PTS, codec.VideoClockRate), au.Keyframe); err != nil {
		return fmt.Errorf("decoder: %w", err)
	}
	switch ret := sendPacket(d.ctx, d.pkt); {
	case ret >= 0:
		return nil
	case ret == codeAgain:
		// Receive was not drained; this access unit is lost.
		d.stats.Errors++
		d.waitKey = true
		return errors.New("decoder: output not drained: call Receive until it returns nil")
	default:
		d.stats.Errors++
		d.waitKey = true
		return avError("decoder: "+d.cfg.Codec.String(), ret)
	}
}

// Receive returns the next decoded picture, or nil when the decoder needs
// more input. The frame is valid until the next call to Receive or Send.
func (d *Decoder) Receive() (*Frame, error) {
	ret := receiveFrame(d.ctx, d.frame.f)
	switch {
	case ret == codeAgain:
		return nil, nil
	case ret == codeEOF:
		// Drained by Flush: make the decoder usable again, from a keyframe.
		flushBuffers(d.ctx)
		d.waitKey = true
		return nil, nil
	case ret < 0:
		d.stats.Errors++
		d.waitKey = true
		return nil, avError("decoder: "+d.cfg.Codec.String(), ret)
	}
	if frameCorrupt(d.frame.f) {
		d.frame.f.Unref()
		d.stats.Errors++
		d.waitKey = true
		return nil, errCorrupt
	}
	d.stats.Frames++
	return &d.frame, nil
}

// Flush asks for the pictures still inside the decoder (multithreaded
// decoding holds some back); Receive returns them, then nil. Decoding then
// starts again at the next keyframe.
func (d *Decoder) Flush() error {
	if ret := sendPacket(d.ctx, nil); ret < 0 && ret != codeEOF {
		return avError("decoder: flush", ret)
	}
	return nil
}

// Stats returns the counters.
func (d *Decoder) Stats() DecoderStats { return d.stats }

// Close releases the decoder. It is safe to call more than once.
func (d *Decoder) Close() error {
	if d.open {
		d.open = false
		liveDecoders.Add(-1)
	}
	if d.ctx != nil {
		d.ctx.Free()
		d.ctx = nil
	}
	if d.frame.f != nil {
		d.frame.f.Free()
		d.frame.f = nil
	}
	d.pkt.free()
	d.pkt = nil
	return nil
}
