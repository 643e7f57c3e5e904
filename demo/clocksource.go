package demo

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/transcode"
)

// The clock strip: the wall-clock time in Unix milliseconds, burnt into the
// top of a picture as 64 blocks of full luma contrast, 16 columns by 4 rows,
// each block 1/16 of the picture's width and 1/16 of its height (80×45 in
// 1280×720, still 20×11 in a 320×180 grid tile). Block k is at column k%16,
// row k/16; white is a 1, black a 0:
//
//	block 0       white, block 1 black (the reference levels)
//	blocks 2–49   the time in Unix ms, 48 bits, most significant first
//	blocks 50–61  CRC-12 of those 48 bits (polynomial 0x80F, initial 0)
//	block 62      white, block 63 black (the end marks)
//
// A reader samples the centre half of each block, thresholds it halfway
// between the two reference levels, and accepts the time only if the end
// marks and the CRC agree and every block is clearly on one side. The same
// algorithm is in api/web/clockstrip.js for browsers.
const (
	ClockColumns = 16
	ClockRows    = 4
	clockBits    = 48
	clockCRCBits = 12
	clockCRCPoly = 0x80F
	clockWhite   = 235 // limited-range luma, as cameras send
	clockBlack   = 16
	clockGrey    = 128
)

// clockCRC is the CRC-12 of the 48 bits of ms, most significant first.
func clockCRC(ms uint64) uint32 {
	var crc uint32
	for i := clockBits - 1; i >= 0; i-- {
		bit := uint32(ms>>uint(i)) & 1
		top := (crc>>(clockCRCBits-1))&1 ^ bit
		crc = (crc << 1) & (1<<clockCRCBits - 1)
		if top != 0 {
			crc ^= clockCRCPoly
		}
	}
	return crc
}

// clockBlocks returns the 64 blocks of the strip for t: true is white.
func clockBlocks(t time.Time) [ClockColumns * ClockRows]bool {
	var b [ClockColumns * ClockRows]bool
	ms := uint64(t.UnixMilli()) & (1<<clockBits - 1)
	b[0], b[1] = true, false
	for i := 0; i < clockBits; i++ {
		b[2+i] = ms>>uint(clockBits-1-i)&1 != 0
	}
	crc := clockCRC(ms)
	for i := 0; i < clockCRCBits; i++ {
		b[2+clockBits+i] = crc>>uint(clockCRCBits-1-i)&1 != 0
	}
	b[62], b[63] = true, false
	return b
}

// DrawClock burns t into the top quarter of f (the strip described above);
// the rest of the picture is left as it is.
func DrawClock(f *transcode.Frame, t time.Time) {
	blocks := clockBlocks(t)
	w, h := f.Width(), f.Height()
	y, ys := f.Plane(0)
	for row := 0; row < h; row++ {
		r := row * ClockRows * 4 / h // the strip's row of this line: h/16 lines each
		if r >= ClockRows {
			break
		}
		line := y[row*ys : row*ys+w]
		for col := 0; col < ClockColumns; col++ {
			v := byte(clockBlack)
			if blocks[r*ClockColumns+col] {
				v = clockWhite
			}
			x0, x1 := col*w/ClockColumns, (col+1)*w/ClockColumns
			for x := x0; x < x1; x++ {
				line[x] = v
			}
		}
	}
	// Chroma neutral under the strip, whatever was there.
	for p := 1; p < 3; p++ {
		pl, ps := f.Plane(p)
		for row := 0; row < (h/4+1)/2; row++ {
			line := pl[row*ps : row*ps+(w+1)/2]
			for x := range line {
				line[x] = clockGrey
			}
		}
	}
}

// ReadClock reads the time burnt in by DrawClock from the luma plane of a
// decoded picture: y holds rows of stride bytes, and the picture (or the grid
// tile that shows it: pass y from the tile's top-left pixel) is width×height.
// ok is false when the strip is not there or does not check out.
func ReadClock(y []byte, stride, width, height int) (t time.Time, ok bool) {
	bw, bh := float64(width)/ClockColumns, float64(height)/(ClockRows*4)
	last := int(float64(ClockRows-1)*bh + bh*3/4 + 0.5) // one past the last line read
	if width < ClockColumns*2 || height < ClockRows*4*2 || stride < width || len(y) < (last-1)*stride+width {
		return time.Time{}, false
	}
	var lum [ClockColumns * ClockRows]int
	for k := range lum {
		col, row := k%ClockColumns, k/ClockColumns
		x0, x1 := int(float64(col)*bw+bw/4), int(float64(col)*bw+bw*3/4+0.5)
		y0, y1 := int(float64(row)*bh+bh/4), int(float64(row)*bh+bh*3/4+0.5)
		x1, y1 = max(x1, x0+1), max(y1, y0+1)
		sum, n := 0, 0
		for yy := y0; yy < y1; yy++ {
			for _, v := range y[yy*stride+x0 : yy*stride+x1] {
				sum += int(v)
			}
			n += x1 - x0
		}
		lum[k] = sum / n
	}
	white, black := lum[0], lum[1]
	contrast := white - black
	if contrast < 48 {
		return time.Time{}, false
	}
	thr, margin := (white+black)/2, contrast/8
	var bits [ClockColumns * ClockRows]bool
	for k, v := range lum {
		if v > thr-margin && v < thr+margin {
			return time.Time{}, false // neither black nor white
		}
		bits[k] = v > thr
	}
	if !bits[62] || bits[63] {
		return time.Time{}, false
	}
	var ms uint64
	for i := 0; i < clockBits; i++ {
		ms <<= 1
		if bits[2+i] {
			ms |= 1
		}
	}
	var crc uint32
	for i := 0; i < clockCRCBits; i++ {
		crc <<= 1
		if bits[2+clockBits+i] {
			crc |= 1
		}
	}
	if crc != clockCRC(ms) {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(ms)), true
}

// ClockSource is a fakecam.Live source: a grey picture with the wall-clock
// time burnt into it (DrawClock) at the moment each picture is made, encoded
// live with x264 (zerolatency: no lookahead, no B-frames, one picture in, one
// access unit out), for measuring glass-to-glass latency.
type ClockSource struct {
	mu    sync.Mutex
	fps   int
	frame *transcode.Frame
	enc   *transcode.Encoder
	n     int64
	err   error
	au    [][]byte
}

// ClockConfig sizes a ClockSource. Zero values: 1280×720, 25 fps, CRF 23,
// a keyframe every 2 s.
type ClockConfig struct {
	Width, Height int
	FPS           int
	Bitrate       int // bit/s; 0: constant quality
	GOP           int // frames; 0: 2 s
}

var _ fakecam.Live = (*ClockSource)(nil)

// NewClockSource starts the encoder. Close releases it.
func NewClockSource(cfg ClockConfig) (*ClockSource, error) {
	if cfg.Width == 0 && cfg.Height == 0 {
		cfg.Width, cfg.Height = 1280, 720
	}
	if cfg.FPS <= 0 {
		cfg.FPS = 25
	}
	if cfg.Width < 64 || cfg.Height < 64 {
		return nil, fmt.Errorf("clock source: %dx%d: too small for the clock strip", cfg.Width, cfg.Height)
	}
	s := &ClockSource{fps: cfg.FPS}
	var err error
	if s.frame, err = transcode.NewFrame(cfg.Width, cfg.Height); err != nil {
		return nil, fmt.Errorf("clock source: %w", err)
	}
	s.frame.Fill(clockGrey, 128, 128)
	ec := transcode.EncoderConfig{
		Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, GOP: cfg.GOP,
		Preset: "ultrafast", Tune: "zerolatency", Bitrate: cfg.Bitrate,
	}
	if cfg.Bitrate == 0 {
		ec.CRF = 23
	}
	if s.enc, err = transcode.NewEncoder(ec); err != nil {
		s.Close()
		return nil, fmt.Errorf("clock source: %w", err)
	}
	return s, nil
}

// ParameterSets returns the encoder's SPS and PPS.
func (s *ClockSource) ParameterSets() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.enc == nil {
		return nil
	}
	return s.enc.ParameterSets()
}

// ForceKeyframe makes the next picture an IDR.
func (s *ClockSource) ForceKeyframe() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.enc != nil {
		s.enc.ForceKeyframe()
	}
}

// Picture draws the time of the wall clock, read right before encoding, and
// returns the encoded picture (nil after an error, which Err reports). now is
// the frame's send time, which the camera passes; the burnt-in time is read
// again so that drawing does not count as latency.
func (s *ClockSource) Picture(now time.Time) [][]byte {
	return s.picture(time.Time{})
}

// picture encodes the next picture with t burnt in (zero: the wall clock).
func (s *ClockSource) picture(t time.Time) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.enc == nil || s.err != nil {
		return nil
	}
	// The encoder may still hold the previous picture: write into our own
	// copy then (the grey background comes along).
	if err := s.frame.MakeWritable(); err != nil {
		s.err = err
		return nil
	}
	s.frame.SetPTS(time.Duration(s.n) * time.Second / time.Duration(s.fps))
	s.n++
	if t.IsZero() {
		t = time.Now()
	}
	DrawClock(s.frame, t)
	s.au = s.au[:0]
	err := s.enc.Encode(s.frame, func(au *codec.AccessUnit) error {
		for _, nal := range au.NALUs {
			s.au = append(s.au, append([]byte(nil), nal...))
		}
		return nil
	})
	if err != nil {
		s.err = fmt.Errorf("clock source: %w", err)
		return nil
	}
	if len(s.au) == 0 {
		return nil
	}
	return s.au
}

// Err returns the error that stopped the source, if any.
func (s *ClockSource) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close releases the encoder; it is safe to call more than once.
func (s *ClockSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	if s.enc != nil {
		errs = append(errs, s.enc.Close())
		s.enc = nil
	}
	if s.frame != nil {
		errs = append(errs, s.frame.Close())
		s.frame = nil
	}
	if s.err == nil {
		s.err = errors.New("clock source: closed")
	}
	return errors.Join(errs...)
}

// ClockClip encodes seconds of clock pictures whose burnt-in times start at
// start and step by one frame: a clip for checking the strip's path through
// encoders, scalers and players without waiting for real time.
func ClockClip(width, height, fps, seconds int, start time.Time) (fakecam.Clip, error) {
	return encodeClip(width, height, fps, seconds, 0, func(f *transcode.Frame, i int) {
		f.Fill(clockGrey, 128, 128)
		DrawClock(f, start.Add(time.Duration(i)*time.Second/time.Duration(fps)))
	})
}
