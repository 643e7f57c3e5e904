package pipeline

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/camgate/camgate/rtsp/fakecam"
)

// startFakeSub starts a fake camera's own sub stream: 640x360 H.264 Main at
// 10 fps, GOP 20.
func startFakeSub(t *testing.T) *fakecam.Camera {
	t.Helper()
	cam, err := fakecam.Start(fakecam.Config{Clip: loadClip(t, "cam360p10.h264"), FPS: 10, Path: "sub"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cam.Close)
	return cam
}

// waitFor polls cond until it holds, failing the test with what after patience.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, patience)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ffprobeProfile returns "codec,profile,width,height" of url's video.
func ffprobeProfile(t *testing.T, url string) string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,profile,width,height", "-of", "csv=p=0", url).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", url, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestSubURLPassthroughFallbackAndReturn: a camera whose own sub stream is
// H.264 at the sub output's size and frame rate has it passed through as
// <camera>/sub (ffprobe sees the camera's stream, and nothing is decoded);
// its grid tile decodes the low stream, not the main. When the low stream
// goes away, the sub and the tile are made from the main stream, the sub's
// reader keeping its session; when it is back, they return to it.
func TestSubURLPassthroughFallbackAndReturn(t *testing.T) {
	mainCam := startFake(t, loadClip(t, "cam1080p25.h264"), false)
	lowCam := startFakeSub(t)
	sub := DefaultSub
	sub.Encoder.Profile = "high" // the camera's is Main: ffprobe tells them apart
	g := startGateway(t, CameraConfig{Name: "door", URL: mainCam.URL(), SubURL: lowCam.URL(), Sub: sub})
	cam := g.Camera("door")
	waitState(t, cam, StateReady, patience)
	waitFor(t, "sub stream passed through", func() bool { return cam.Stats().Sources.Sub == "passthrough" })

	// The camera's own stream, as it is: its profile is the clip's Main,
	// where camgate's encoder makes High.
	if got, want := ffprobeProfile(t, g.Server().URL("door/sub")), "h264,Main,640,360"; got != want {
		t.Errorf("ffprobe door/sub: %q, want %q (the camera's own sub stream)", got, want)
	}
	subReader := newReader(t, g.Server().URL("door/sub"), true)
	subReader.waitFrames(20, patience)
	st := cam.Stats()
	if st.Decoded != 0 || st.SubStream.Decoded != 0 {
		t.Errorf("passthrough sub: %d pictures of the main and %d of the sub stream decoded, want 0 and 0", st.Decoded, st.SubStream.Decoded)
	}
	if st.SubStream.Width != 640 || st.SubStream.Height != 360 || st.SubStream.FPS < 9 || st.SubStream.FPS > 11 {
		t.Errorf("sub_stream stats: %dx%d at %.2f fps, want 640x360 at 10", st.SubStream.Width, st.SubStream.Height, st.SubStream.FPS)
	}

	// A grid, and its reader: the tile is decoded from the low stream. Four
	// places, so that a tile is 640x360: the low stream serves it.
	if err := g.AddGrid(GridConfig{Name: "g", Cameras: []string{"door"}, Cols: 2, Rows: 2}); err != nil {
		t.Fatal(err)
	}
	grid := newReader(t, g.Server().URL("grid/g"), false)
	grid.waitFrames(10, patience)
	waitFor(t, "tile decoded from the sub stream", func() bool {
		st := cam.Stats()
		return st.Sources.Tiles == "sub_url" && st.SubStream.Decoded > 0
	})
	// Until the sub stream's next keyframe, the main may have fed the new
	// tile; from then on, nothing more is queued for the main decoder.
	idle := cam.Stats().Decoded
	grid.waitFrames(30, patience)
	if d := cam.Stats().Decoded - idle; d > uint64(cam.Config().QueueSize)+1 {
		t.Errorf("main stream: %d more pictures decoded with the sub and the tile made from the camera's sub stream, want it idle (at most its queue of %d)", d, cam.Config().QueueSize)
	}

	// The camera's sub stream goes away: both are made from the main.
	lowCam.Reboot(4 * time.Second)
	waitFor(t, "sub and tile made from the main stream", func() bool {
		st := cam.Stats()
		return st.Sources.Sub == "main" && st.Sources.Tiles == "main" && st.Decoded > 0
	})
	subReader.waitFrames(10, patience)
	grid.waitFrames(10, patience)

	// It is back: they return to it, the sub to passthrough.
	waitFor(t, "back to the sub stream", func() bool {
		st := cam.Stats()
		return st.Sources.Sub == "passthrough" && st.Sources.Tiles == "sub_url" && st.SubStream.State == StateReady
	})
	decoded := cam.Stats().Decoded
	subReader.waitFrames(20, patience)
	grid.waitFrames(10, patience)
	// Nothing more is queued for the main decoder: it decodes what its
	// queue held, and no more.
	if st := cam.Stats(); st.Decoded > decoded+uint64(cam.Config().QueueSize)+1 {
		t.Errorf("main stream: %d more pictures decoded after the sub stream returned, want it idle (at most its queue of %d)", st.Decoded-decoded, cam.Config().QueueSize)
	}
	if s := subReader.player.Stats().Sessions; s != 1 {
		t.Errorf("sub reader: %d sessions, want 1 (it keeps its session through both changes)", s)
	}
	subReader.mu.Lock()
	sizes, errs := subReader.sizes, subReader.decodeErrs
	subReader.mu.Unlock()
	if len(sizes) != 1 || sizes[[2]int{640, 360}] == 0 || errs != 0 {
		t.Errorf("sub reader decoded sizes %v with %d errors, want only 640x360 and none", sizes, errs)
	}
	if total, _ := mainCam.Connections(); total != 1 {
		t.Errorf("main stream: %d connections, want 1", total)
	}
	if total, open := lowCam.Connections(); total < 2 || open != 1 {
		t.Errorf("sub stream: %d connections, %d open; want one before its reboot and one open after it", total, open)
	}
}

// TestSubURLTranscodedFromLowStream: a sub output smaller than the camera's
// own sub stream is transcoded from it, not from the main stream; so is a
// snapshot no wider than it. A grid tile larger than it comes from the main.
func TestSubURLTranscodedFromLowStream(t *testing.T) {
	mainCam := startFake(t, loadClip(t, "cam1080p25.h264"), false)
	lowCam := startFakeSub(t)
	small := DefaultSub
	small.Width, small.Height = 320, 180
	small.Encoder.Profile = "high" // the camera's is Main: ffprobe tells them apart
	g := startGateway(t, CameraConfig{Name: "door", URL: mainCam.URL(), SubURL: lowCam.URL(), Sub: small})
	cam := g.Camera("door")
	waitState(t, cam, StateReady, patience)
	waitFor(t, "sub stream ready", func() bool { return cam.Stats().SubStream.State == StateReady })

	sub := newReader(t, g.Server().URL("door/sub"), true)
	sub.waitFrames(20, patience)
	st := cam.Stats()
	if st.Sources.Sub != "sub_url" || st.SubStream.Decoded == 0 || st.Decoded != 0 {
		t.Errorf("320x180 sub: source %q, %d pictures of the sub stream and %d of the main decoded; want sub_url, >0 and 0",
			st.Sources.Sub, st.SubStream.Decoded, st.Decoded)
	}
	if got, want := ffprobeProfile(t, g.Server().URL("door/sub")), "h264,High,320,180"; got != want {
		t.Errorf("ffprobe door/sub: %q, want %q (camgate's encoder)", got, want)
	}

	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if _, err := cam.Snapshot(ctx, 320); err != nil {
		t.Fatalf("snapshot 320 wide: %v", err)
	}
	if d := cam.Stats().Decoded; d != 0 {
		t.Errorf("a 320-wide snapshot decoded %d pictures of the main stream, want 0", d)
	}

	if err := g.AddGrid(GridConfig{Name: "one", Cameras: []string{"door"}}); err != nil { // one 1280x720 tile
		t.Fatal(err)
	}
	grid := newReader(t, g.Server().URL("grid/one"), false)
	grid.waitFrames(10, patience)
	waitFor(t, "the 1280x720 tile made from the main stream", func() bool {
		st := cam.Stats()
		return st.Sources.Tiles == "main" && st.Decoded > 0
	})
}

// TestTileNeed: the size a source must have to serve a tile is the size of
// its picture in the tile: a 16:9 stream letterboxed into a 2×1 grid's
// 640×720 tile needs 640×360, cropped it needs 1280×720, stretched the tile.
func TestTileNeed(t *testing.T) {
	for _, tc := range []struct {
		fit          Fit
		tw, th       int
		w, h         int
		wantW, wantH int
	}{
		{FitLetterbox, 640, 720, 640, 360, 640, 360},
		{FitLetterbox, 640, 720, 1920, 1080, 640, 360},
		{FitCrop, 640, 720, 640, 360, 1280, 720},
		{FitStretch, 640, 720, 640, 360, 640, 720},
		{FitLetterbox, 426, 240, 704, 576, 292, 240}, // a 4:3-ish D1 sub stream in a 16:9 tile
		{FitLetterbox, 640, 720, 0, 0, 640, 720},     // not known yet: the tile's size
	} {
		s := &tileSink{slot: &tileSlot{w: tc.tw, h: tc.th}, fit: tc.fit}
		if w, h := s.need(tc.w, tc.h); w != tc.wantW || h != tc.wantH {
			t.Errorf("%v %dx%d tile of %dx%d: needs %dx%d, want %dx%d", tc.fit, tc.tw, tc.th, tc.w, tc.h, w, h, tc.wantW, tc.wantH)
		}
	}
}
