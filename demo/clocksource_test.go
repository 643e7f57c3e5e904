package demo

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/rtsp/rtspclient"
	"github.com/camgate/camgate/rtsp/rtsptest"
	"github.com/camgate/camgate/transcode"
)

// decodeAll decodes access units and hands every picture to fn.
func decodeAll(t *testing.T, aus [][][]byte, fn func(f *transcode.Frame)) {
	t.Helper()
	dec, err := transcode.NewDecoder(transcode.DecoderConfig{Codec: codec.H264})
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for i, nalus := range aus {
		au := &codec.AccessUnit{NALUs: nalus, PTS: time.Duration(i) * 40 * time.Millisecond, Keyframe: codec.IsKeyframe(codec.H264, nalus)}
		if err := dec.Decode(au, func(f *transcode.Frame) error { fn(f); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if err := dec.Decode(nil, func(f *transcode.Frame) error { fn(f); return nil }); err != nil {
		t.Fatal(err)
	}
}

func readFrame(f *transcode.Frame) (time.Time, bool) {
	y, ys := f.Plane(0)
	return ReadClock(y, ys, f.Width(), f.Height())
}

func TestClockCRCDetectsEveryOneBitError(t *testing.T) {
	ms := uint64(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC).UnixMilli())
	crc := clockCRC(ms)
	for i := 0; i < clockBits; i++ {
		if clockCRC(ms^1<<uint(i)) == crc {
			t.Errorf("flipping bit %d keeps the CRC", i)
		}
	}
}

// TestClockSurvivesEncodeDecodeScale: draw → encode 1280×720 → decode →
// scale to 320×180 (a tile of a 4×4 grid of 1280×720) → ReadClock gives the
// times back to the millisecond; then the same tiles composed into a 2×2 grid
// of 640×360 encoded at 512 kbit/s, read from a sub-rectangle.
func TestClockSurvivesEncodeDecodeScale(t *testing.T) {
	const fps, seconds = 25, 2
	start := time.UnixMilli(1_767_225_600_123) // 2026-01-01, and some ms
	clip, err := ClockClip(1280, 720, fps, seconds, start)
	if err != nil {
		t.Fatal(err)
	}
	want := func(i int) time.Time { return start.Add(time.Duration(i) * time.Second / fps) }

	sc, err := transcode.NewScaler(320, 180, transcode.ScaleBilinear)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	grid, err := transcode.NewFrame(640, 360)
	if err != nil {
		t.Fatal(err)
	}
	defer grid.Close()
	enc, err := transcode.NewEncoder(transcode.EncoderConfig{Width: 640, Height: 360, FPS: fps, Bitrate: 512_000, Preset: "ultrafast"})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var gridAUs [][][]byte
	keep := func(au *codec.AccessUnit) error {
		var nalus [][]byte
		for _, n := range au.NALUs {
			nalus = append(nalus, append([]byte(nil), n...))
		}
		gridAUs = append(gridAUs, nalus)
		return nil
	}

	i := 0
	decodeAll(t, clip.AccessUnits, func(f *transcode.Frame) {
		if got, ok := readFrame(f); !ok || !got.Equal(want(i)) {
			t.Errorf("picture %d, 1280x720: %v %v, want %v", i, got, ok, want(i))
		}
		small, err := sc.Scale(f)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := readFrame(small); !ok || !got.Equal(want(i)) {
			t.Errorf("picture %d, 320x180: %v %v, want %v", i, got, ok, want(i))
		}
		// The tile at (320, 180), the bottom-right one of the grid.
		grid.Fill(16, 128, 128)
		transcode.Blit(grid, 320, 180, small, 0, 0, 320, 180)
		grid.SetPTS(small.PTS())
		if err := enc.Encode(grid, keep); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if i != fps*seconds {
		t.Fatalf("%d pictures decoded, want %d", i, fps*seconds)
	}
	if err := enc.Encode(nil, keep); err != nil {
		t.Fatal(err)
	}
	i = 0
	decodeAll(t, gridAUs, func(f *transcode.Frame) {
		y, ys := f.Plane(0)
		if _, ok := ReadClock(y, ys, 320, 180); ok {
			t.Errorf("grid picture %d: a clock in the black tile", i)
		}
		if got, ok := ReadClock(y[180*ys+320:], ys, 320, 180); !ok || !got.Equal(want(i)) {
			t.Errorf("grid picture %d, tile: %v %v, want %v", i, got, ok, want(i))
		}
		i++
	})
	if i != fps*seconds {
		t.Fatalf("%d grid pictures decoded, want %d", i, fps*seconds)
	}
}

func TestReadClockRefusesGarbage(t *testing.T) {
	f, err := transcode.NewFrame(320, 180)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	y, ys := f.Plane(0)
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 1000; n++ {
		for i := range y {
			y[i] = byte(rng.Uint32())
		}
		if got, ok := ReadClock(y, ys, 320, 180); ok {
			t.Fatalf("noise %d read as %v", n, got)
		}
	}
	// Random blocks of full contrast, with the right marks: only the CRC
	// stands in the way.
	for n := 0; n < 1000; n++ {
		f.Fill(128, 128, 128)
		DrawClock(f, time.UnixMilli(rng.Int64N(1<<47)))
		flip := 2 + rng.IntN(clockBits+clockCRCBits)
		col, row := flip%ClockColumns, flip/ClockColumns
		x0, y0 := col*320/ClockColumns, row*180/16
		v := y[(y0+5)*ys+x0+10]
		transcode.FillRect(f, x0, y0, 320/ClockColumns+2, 180/16+2, 251-v, 128, 128)
		if got, ok := ReadClock(y, ys, 320, 180); ok {
			t.Fatalf("a strip with block %d flipped read as %v", flip, got)
		}
	}
	for _, lum := range []byte{0, 16, 128, 235, 255} {
		f.Fill(lum, 128, 128)
		if got, ok := ReadClock(y, ys, 320, 180); ok {
			t.Errorf("a flat picture of %d read as %v", lum, got)
		}
	}
	if _, ok := ReadClock(y[:100], ys, 320, 180); ok {
		t.Error("read a clock from a short buffer")
	}
	if _, ok := ReadClock(y, ys, 20, 10); ok {
		t.Error("read a clock from a tiny picture")
	}
}

func TestClockSourceBurnsTheWallClock(t *testing.T) {
	s, err := NewClockSource(ClockConfig{Width: 640, Height: 360, FPS: 25})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.ParameterSets()) < 2 {
		t.Fatalf("parameter sets: %d NAL units", len(s.ParameterSets()))
	}
	var aus [][][]byte
	var before, after []time.Time
	for i := 0; i < 10; i++ {
		if i == 5 {
			s.ForceKeyframe()
		}
		b := time.Now()
		au := s.Picture(b)
		after = append(after, time.Now())
		before = append(before, b)
		if au == nil {
			t.Fatalf("picture %d: none: %v", i, s.Err())
		}
		if (i == 0 || i == 5) != codec.IsKeyframe(codec.H264, au) {
			t.Errorf("picture %d: keyframe %v", i, !(i == 0 || i == 5))
		}
		var copied [][]byte
		for _, n := range au {
			copied = append(copied, append([]byte(nil), n...))
		}
		aus = append(aus, copied)
	}
	i := 0
	decodeAll(t, aus, func(f *transcode.Frame) {
		got, ok := readFrame(f)
		if !ok || got.Before(before[i].Truncate(time.Millisecond)) || got.After(after[i]) {
			t.Errorf("picture %d: %v %v, want between %v and %v", i, got, ok, before[i], after[i])
		}
		i++
	})
	if i != 10 {
		t.Errorf("%d pictures decoded, want 10", i)
	}
	s.Close()
	if s.Picture(time.Now()) != nil || s.Close() != nil {
		t.Error("a closed source made a picture, or failed to close twice")
	}
}

// TestClockCameraStreamsTheTime: a fake camera with a ClockSource, read over
// RTSP and decoded, shows times close to the reader's clock (loosely: this
// checks the path, not the latency).
func TestClockCameraStreamsTheTime(t *testing.T) {
	src, err := NewClockSource(ClockConfig{Width: 640, Height: 360, FPS: 25})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cam, err := fakecam.Start(fakecam.Config{Live: src})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	dec, err := transcode.NewDecoder(transcode.DecoderConfig{Codec: codec.H264})
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var mu sync.Mutex
	var read, bad int
	var last time.Time
	var lag []time.Duration
	p := rtsptest.PlayConfig(t, rtspclient.Config{URL: cam.URL(), OnAccessUnit: func(au rtspclient.AccessUnit) {
		a := &codec.AccessUnit{NALUs: au.NALUs, PTS: au.PTS, Keyframe: au.Keyframe}
		_ = dec.Decode(a, func(f *transcode.Frame) error {
			got, ok := readFrame(f)
			now := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if !ok || got.Before(now.Add(-10*time.Second)) || got.After(now.Add(time.Millisecond)) || got.Before(last) {
				bad++
				t.Errorf("picture %d: clock %v %v at %v, previous %v", read+bad, got, ok, now, last)
				return nil
			}
			read++
			last = got
			lag = append(lag, now.Sub(got))
			return nil
		})
	}})
	defer p.Close() // before the decoder it uses is closed
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := read + bad
		mu.Unlock()
		if n >= 25 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d pictures read in 60 s (%+v), want 25", n, p.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.Close()
	if err := src.Err(); err != nil {
		t.Error(err)
	}
	slices.Sort(lag)
	t.Logf("camera to decoded picture over RTSP on loopback: median %v, max %v (the clock has 1 ms steps)", lag[len(lag)/2], lag[len(lag)-1])
}
