package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os/exec"
	"testing"
	"time"

	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/transcode"
)

// solidClip is 2 s of one colour at 320x180, a keyframe every 10 frames.
func solidClip(t testing.TB, c [3]byte) fakecam.Clip {
	t.Helper()
	clip, err := demo.SolidClip(320, 180, 25, 2, 10, c[0], c[1], c[2])
	if err != nil {
		t.Fatal(err)
	}
	return clip
}

var tileColors = [][3]byte{
	{81, 90, 240},  // red
	{145, 54, 34},  // green
	{41, 240, 110}, // blue
	{210, 16, 146}, // yellow
}

func near(a, b [3]byte, tol int) bool {
	for i := range a {
		if d := int(a[i]) - int(b[i]); d > tol || d < -tol {
			return false
		}
	}
	return true
}

// ffmpegGrab decodes one picture of url with Debian's ffmpeg, as raw yuv420p.
func ffmpegGrab(t *testing.T, url string, w, h int) *transcode.Frame {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", url,
		"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-").Output()
	if err != nil || len(out) != w*h*3/2 {
		t.Fatalf("ffmpeg grab of %s: %v, %d bytes (want %d)", url, err, len(out), w*h*3/2)
	}
	f, err := transcode.NewFrame(w, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	off := 0
	for p, ph := range []int{h, h / 2, h / 2} {
		pw := w
		if p > 0 {
			pw = w / 2
		}
		data, stride := f.Plane(p)
		for r := 0; r < ph; r++ {
			copy(data[r*stride:r*stride+pw], out[off:off+pw])
			off += pw
		}
	}
	return f
}

func TestGridTilesFollowTheirCameras(t *testing.T) {
	const stall = 2 * time.Second
	var fakes []*fakecam.Camera
	var cams []CameraConfig
	var names []string
	for i, c := range tileColors {
		fake := startFake(t, solidClip(t, c), false)
		fakes = append(fakes, fake)
		name := fmt.Sprintf("cam%d", i)
		names = append(names, name)
		cams = append(cams, CameraConfig{Name: name, URL: fake.URL(), StallTimeout: stall})
	}
	g, err := StartGateway(Config{
		RTSP:    rtsp.ServerConfig{Address: "127.0.0.1:0"},
		Cameras: cams,
		Grids:   []GridConfig{{Name: "wall", Cameras: names}},
	}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, n := range names {
		waitState(t, g.Camera(n), StateReady, patience)
	}
	url := g.Server().URL("grid/wall")
	r := newReader(t, url, true)
	r.waitFrames(10, patience)
	centres := [][2]int{{320, 180}, {960, 180}, {320, 540}, {960, 540}}
	placeholder := [3]byte{placeholderY, placeholderCb, placeholderCr}
	tilesAre := func(want [][3]byte, grab func(x, y int) [3]byte) error {
		for i, c := range centres {
			if got := grab(c[0], c[1]); !near(got, want[i], 12) {
				return fmt.Errorf("tile %d at %v: Y'CbCr %v, want %v", i, c, got, want[i])
			}
		}
		return nil
	}
	waitTiles := func(what string, want [][3]byte, timeout time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		var err error
		for time.Since(start) < timeout {
			if err = tilesAre(want, r.pixel); err == nil {
				return time.Since(start)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%s: %v after %v", what, err, timeout)
		return 0
	}
	waitTiles("live", tileColors, patience)

	// Debian's ffmpeg sees the same: each camera's colour in its place.
	f := ffmpegGrab(t, url, 1280, 720)
	if err := tilesAre(tileColors, func(x, y int) [3]byte { return framePixel(f, x, y) }); err != nil {
		t.Errorf("ffmpeg: %v", err)
	}

	// Camera 2 stalls: its tile turns into the placeholder, the others stay.
	fakes[2].Stall(true)
	want := append([][3]byte(nil), tileColors...)
	want[2] = placeholder
	// How soon is the stall timeout's business (TestStallDetectedAndRecovered)
	// and the machine's load: logged, not asserted.
	d := waitTiles("camera 2 stalled", want, patience)
	t.Logf("placeholder %v after the stall", d.Round(time.Millisecond))
	fakes[2].Stall(false)
	d = waitTiles("camera 2 back", tileColors, patience)
	t.Logf("live again %v after the camera resumed", d.Round(time.Millisecond))

	// Every camera gone: the grid keeps its 15 fps, and its reader.
	for _, fk := range fakes {
		fk.Close()
	}
	waitTiles("all cameras gone", [][3]byte{placeholder, placeholder, placeholder, placeholder}, patience)
	// 75 pictures, timed by the stream's own clock (its RTP timestamps), not
	// by how long this test slept: 15 fps means 5 s of timestamps.
	ptsAus := func() (time.Duration, int) {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.lastPTS, r.aus
	}
	pts0, aus0 := ptsAus()
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		if _, aus := ptsAus(); aus >= aus0+75 {
			break
		}
		if time.Since(start) > patience {
			t.Fatal("the grid stopped sending with every camera down")
		}
	}
	pts1, aus1 := ptsAus()
	if n, secs := aus1-aus0, (pts1 - pts0).Seconds(); secs <= 0 || float64(n)/secs < 13.5 || float64(n)/secs > 16.5 {
		t.Errorf("%d pictures in %.2f s of timestamps with every camera down, want 15 fps ± 10%%", n, secs)
	}
	if st := g.Grid("wall").Stats(); st.Output.Readers != 1 || st.LiveTiles != 0 {
		t.Errorf("grid stats %+v", st)
	}
}

// TestGrid16CamerasOneDecodeEach: a 4x4 grid of 16 cameras opens one camera
// connection and one decoder per camera, no more.
func TestGrid16CamerasOneDecodeEach(t *testing.T) {
	before := transcode.LiveDecoders()
	var fakes []*fakecam.Camera
	var cams []CameraConfig
	var names []string
	clip := solidClip(t, tileColors[0])
	for i := 0; i < 16; i++ {
		fake := startFake(t, clip, false)
		fakes = append(fakes, fake)
		name := fmt.Sprintf("c%02d", i)
		names = append(names, name)
		cams = append(cams, CameraConfig{Name: name, URL: fake.URL(), Sub: DefaultSub})
	}
	g := startGatewayWithGrids(t, cams, GridConfig{Name: "all", Cameras: names}, GridConfig{Name: "half", Cameras: names[:8]})
	for _, n := range names {
		waitState(t, g.Camera(n), StateReady, patience)
	}
	r1 := newReader(t, g.Server().URL("grid/all"), false)
	r2 := newReader(t, g.Server().URL("grid/half"), false)
	r3 := newReader(t, g.Server().URL("c00/sub"), false)
	for _, r := range []*reader{r1, r2, r3} {
		r.waitFrames(10, patience)
	}
	if got := transcode.LiveDecoders() - before; got != 16 {
		t.Errorf("%d decoders for 16 cameras in two grids and a sub stream, want 16", got)
	}
	for i, f := range fakes {
		if total, open := f.Connections(); total != 1 || open != 1 {
			t.Errorf("camera %d: %d connections (%d open), want 1", i, total, open)
		}
	}
	if cfg := g.Grid("all").Config(); cfg.Cols != 4 || cfg.Rows != 4 {
		t.Errorf("layout of 16 cameras: %dx%d, want 4x4", cfg.Cols, cfg.Rows)
	}
}

func startGatewayWithGrids(t *testing.T, cams []CameraConfig, grids ...GridConfig) *Gateway {
	t.Helper()
	g, err := StartGateway(Config{RTSP: rtsp.ServerConfig{Address: "127.0.0.1:0"}, Cameras: cams, Grids: grids}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func TestGridLayoutAndFit(t *testing.T) {
	for n, want := range map[int][2]int{1: {1, 1}, 2: {2, 1}, 3: {2, 2}, 4: {2, 2}, 5: {3, 3}, 9: {3, 3}, 10: {4, 4}, 16: {4, 4}, 17: {5, 5}} {
		if c, r := AutoLayout(n); c != want[0] || r != want[1] {
			t.Errorf("AutoLayout(%d) = %dx%d, want %dx%d", n, c, r, want[0], want[1])
		}
	}
	// A 4:3 picture in a 16:9 tile: letterbox keeps it whole with bars at the
	// sides, crop fills the tile, stretch fills it distorted.
	slot := &tileSlot{w: 320, h: 180}
	src, err := transcode.NewFrame(640, 480)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for _, tc := range []struct {
		fit            Fit
		sw, sh, dx, cx int
	}{
		{FitLetterbox, 240, 180, 40, 0},
		{FitCrop, 320, 240, 0, 0},
		{FitStretch, 320, 180, 0, 0},
	} {
		s := &tileSink{slot: slot, fit: tc.fit}
		if !s.configure(640, 480) {
			t.Fatalf("%v: configure failed", tc.fit)
		}
		scaled, err := s.scaler.Scale(src)
		if err != nil {
			t.Fatal(err)
		}
		w, h := scaled.Width(), scaled.Height()
		if w != tc.sw || h != tc.sh || s.dx != tc.dx || s.cx != tc.cx {
			t.Errorf("%v: scaled to %dx%d at dx %d, crop x %d; want %dx%d, %d, %d", tc.fit, w, h, s.dx, s.cx, tc.sw, tc.sh, tc.dx, tc.cx)
		}
		if tc.fit == FitCrop && s.cy != 30 {
			t.Errorf("crop: window starts at y %d, want 30", s.cy)
		}
		s.close()
	}
}

// TestGridSnapshot takes a snapshot of a grid nobody plays: the cameras start
// feeding it, the picture shows each camera's colour in its tile, and
// nothing is encoded for it.
func TestGridSnapshot(t *testing.T) {
	var cams []CameraConfig
	var names []string
	for i, c := range tileColors {
		fake := startFake(t, solidClip(t, c), false)
		name := fmt.Sprintf("cam%d", i)
		names = append(names, name)
		cams = append(cams, CameraConfig{Name: name, URL: fake.URL()})
	}
	g := startGatewayWithGrids(t, cams, GridConfig{Name: "wall", Cameras: names})
	for _, n := range names {
		waitState(t, g.Camera(n), StateReady, patience)
	}
	grid := g.Grid("wall")
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	start := time.Now()
	b, err := grid.Snapshot(ctx, 640)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	yc, ok := img.(*image.YCbCr)
	if !ok || img.Bounds().Dx() != 640 || img.Bounds().Dy() != 360 {
		t.Fatalf("snapshot %T %v, want 640x360 Y'CbCr", img, img.Bounds())
	}
	// JPEG is full range; the cameras' colours are video range.
	full := func(c [3]byte) [3]byte {
		clamp := func(v float64) byte { return byte(max(0, min(255, v+0.5))) }
		return [3]byte{clamp((float64(c[0]) - 16) * 255 / 219),
			clamp((float64(c[1])-128)*255/224 + 128), clamp((float64(c[2])-128)*255/224 + 128)}
	}
	for i, c := range [][2]int{{160, 90}, {480, 90}, {160, 270}, {480, 270}} {
		p := yc.YCbCrAt(c[0], c[1])
		if got, want := [3]byte{p.Y, p.Cb, p.Cr}, full(tileColors[i]); !near(got, want, 8) {
			t.Errorf("tile %d: %v, want %v", i, got, want)
		}
	}
	t.Logf("first snapshot of an idle grid in %v", took.Round(time.Millisecond))
	if st := grid.Stats(); st.Output.Frames != 0 {
		t.Errorf("%d pictures encoded for a grid nobody plays", st.Output.Frames)
	}
	if _, err := grid.Snapshot(ctx, -1); err == nil {
		t.Error("negative width accepted")
	}
}
