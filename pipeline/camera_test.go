package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"github.com/camgate/camgate/stream"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/transcode"
)

func TestMain(m *testing.M) {
	transcode.SetLogHandler(transcode.LogError, nil)
	goleak.VerifyTestMain(m)
}

func testLogger(t *testing.T) zerolog.Logger {
	if testing.Verbose() {
		return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	}
	return zerolog.Nop()
}

func loadClip(t *testing.T, name string) fakecam.Clip {
	t.Helper()
	c, err := fakecam.LoadClip("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func startFake(t *testing.T, clip fakecam.Clip, audio bool) *fakecam.Camera {
	t.Helper()
	cam, err := fakecam.Start(fakecam.Config{Clip: clip, Audio: audio})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cam.Close)
	return cam
}

// startGateway runs a gateway on an ephemeral port with the given cameras.
func startGateway(t *testing.T, cams ...CameraConfig) *Gateway {
	t.Helper()
	g, err := StartGateway(Config{RTSP: rtsp.ServerConfig{Address: "127.0.0.1:0"}, Cameras: cams}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func waitState(t *testing.T, c *Camera, want State, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < timeout {
		if c.Stats().State == want {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("camera %s: state %v after %v, want %v (last error %q)", c.Name(), c.Stats().State, timeout, want, c.Stats().LastError)
	return 0
}

// ffprobeStreams lists "codec WxH" per stream of url, as Debian's ffprobe sees it.
func ffprobeStreams(t *testing.T, url string) []string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-rtsp_transport", "tcp",
		"-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", url).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", url, err, out)
	}
	var streams []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		streams = append(streams, strings.TrimRight(sc.Text(), ","))
	}
	return streams
}

func TestStreamsReadByFFmpeg(t *testing.T) {
	cam := startFake(t, loadClip(t, "cam1080p25.h264"), true)
	g := startGateway(t, CameraConfig{Name: "front", URL: cam.URL(), Sub: DefaultSub})
	waitState(t, g.Camera("front"), StateReady, 10*time.Second)

	sub := g.Server().URL("front/sub")
	main := g.Server().URL("front/main")
	if got := ffprobeStreams(t, sub); len(got) != 1 || got[0] != "h264,640,360" {
		t.Errorf("ffprobe %s: %q, want [h264,640,360]", sub, got)
	}
	if got := ffprobeStreams(t, main); len(got) != 2 || got[0] != "h264,1920,1080" || got[1] != "pcm_mulaw" {
		t.Errorf("ffprobe %s: %q, want [h264,1920,1080 pcm_mulaw]", main, got)
	}

	// ffmpeg decodes 5 s of each with no error line; both at once.
	type result struct {
		url string
		out []byte
		err error
	}
	results := make(chan result, 2)
	for _, u := range []string{sub, main} {
		go func() {
			out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp",
				"-i", u, "-t", "5", "-f", "null", "-").CombinedOutput()
			results <- result{u, out, err}
		}()
	}
	for range 2 {
		r := <-results
		if r.err != nil || len(bytes.TrimSpace(r.out)) != 0 {
			t.Errorf("ffmpeg -i %s: %v\n%s", r.url, r.err, r.out)
		}
	}
}

func TestOneCameraConnectionForAllReaders(t *testing.T) {
	cam := startFake(t, loadClip(t, "reschange.h264"), false)
	g := startGateway(t, CameraConfig{Name: "c", URL: cam.URL(), Sub: DefaultSub})
	waitState(t, g.Camera("c"), StateReady, 10*time.Second)
	var readers []*reader
	for i := 0; i < 3; i++ {
		readers = append(readers, newReader(t, g.Server().URL("c/sub"), false))
		readers = append(readers, newReader(t, g.Server().URL("c/main"), false))
	}
	for _, r := range readers {
		r.waitFrames(5, 5*time.Second)
	}
	if total, open := cam.Connections(); total != 1 || open != 1 {
		t.Errorf("fake camera saw %d connections (%d open), want 1", total, open)
	}
	if total, _ := cam.Sessions(); total != 1 {
		t.Errorf("fake camera saw %d sessions, want 1", total)
	}
	st := g.Camera("c").Stats()
	if st.Main.Readers != 3 || st.Outputs[0].Readers != 3 {
		t.Errorf("readers: main %d, sub %d; want 3 and 3", st.Main.Readers, st.Outputs[0].Readers)
	}
}

func TestRebootKeepsReaders(t *testing.T) {
	cam := startFake(t, loadClip(t, "reschange.h264"), false)
	g := startGateway(t, CameraConfig{Name: "c", URL: cam.URL(), Sub: DefaultSub})
	c := g.Camera("c")
	waitState(t, c, StateReady, 10*time.Second)
	sub := newReader(t, g.Server().URL("c/sub"), false)
	main := newReader(t, g.Server().URL("c/main"), false)
	sub.waitFrames(5, 5*time.Second)
	main.waitFrames(5, 5*time.Second)

	const down = 1500 * time.Millisecond
	cam.Reboot(down)
	back := time.Now().Add(down)
	time.Sleep(down / 2)
	if s := c.Stats().State; s == StateReady {
		t.Errorf("state %v during the reboot", s)
	}
	for name, r := range map[string]*reader{"sub": sub, "main": main} {
		first := r.waitFrames(5, 10*time.Second)
		// The fake camera resumes mid-GOP; the clip has a keyframe every
		// second, so allow that on top of the 2 s.
		if d := first.Sub(back); d > 3*time.Second {
			t.Errorf("%s: first frame %v after the camera came back, want within 2 s of its first keyframe", name, d)
		}
		t.Logf("%s: frames again %v after the camera came back", name, first.Sub(back).Round(time.Millisecond))
		if _, _, _, backwards := r.snapshot(); backwards != 0 {
			t.Errorf("%s: %d timestamps went backwards", name, backwards)
		}
	}
	st := c.Stats()
	if st.Reconnects < 1 || st.State != StateReady {
		t.Errorf("after reboot: %+v", st)
	}
	if st.Main.Readers != 1 || st.Outputs[0].Readers != 1 {
		t.Errorf("readers dropped by the reboot: main %d, sub %d", st.Main.Readers, st.Outputs[0].Readers)
	}
}

func TestStallDetectedAndRecovered(t *testing.T) {
	cam := startFake(t, loadClip(t, "reschange.h264"), false)
	const stall = 2 * time.Second
	g := startGateway(t, CameraConfig{Name: "c", URL: cam.URL(), Sub: DefaultSub, StallTimeout: stall})
	c := g.Camera("c")
	waitState(t, c, StateReady, 10*time.Second)
	sub := newReader(t, g.Server().URL("c/sub"), false)
	sub.waitFrames(3, 5*time.Second)

	cam.Stall(true)
	stalledAt := time.Now()
	var detected time.Duration
	for time.Since(stalledAt) < stall+2*time.Second {
		if st := c.Stats(); st.Reconnects > 0 {
			detected = time.Since(stalledAt)
			if !strings.Contains(st.LastError, "stalled") {
				t.Errorf("last error %q, want it to say stalled", st.LastError)
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if detected == 0 || detected > stall+time.Second {
		t.Fatalf("stall detected after %v, want within %v", detected, stall+time.Second)
	}
	t.Logf("stall detected after %v", detected.Round(time.Millisecond))
	cam.Stall(false)
	waitState(t, c, StateReady, 5*time.Second)
	sub.waitFrames(5, 5*time.Second)
}

func TestGarbageAndResolutionChange(t *testing.T) {
	cam := startFake(t, loadClip(t, "cam1080p25.h264"), false)
	g := startGateway(t, CameraConfig{Name: "c", URL: cam.URL(), Sub: DefaultSub})
	c := g.Camera("c")
	waitState(t, c, StateReady, 10*time.Second)
	sub := newReader(t, g.Server().URL("c/sub"), true)
	sub.waitFrames(5, 5*time.Second)

	cam.Garbage(true)
	time.Sleep(2 * time.Second)
	cam.Garbage(false)
	before := c.Stats()
	if before.DecodeErrors == 0 {
		t.Errorf("garbage counted no decode error: %+v", before)
	}
	// The camera's resolution changes in the same session, twice: 1920x1080
	// to 640x360, then to 480x272 (the clip changes size halfway).
	cam.SetClip(loadClip(t, "reschange.h264"))
	time.Sleep(3 * time.Second)
	sub.waitFrames(10, 10*time.Second)
	sub.mu.Lock()
	sizes := sub.sizes
	sub.mu.Unlock()
	if len(sizes) != 1 || sizes[[2]int{640, 360}] == 0 {
		t.Errorf("sub stream sizes %v, want only 640x360", sizes)
	}
	t.Logf("stats after garbage: decode errors %d, state %v", before.DecodeErrors, before.State)
}

func TestNewReaderGetsKeyframeQuickly(t *testing.T) {
	cam := startFake(t, loadClip(t, "reschange.h264"), false)
	sub := DefaultSub
	sub.Encoder.GOP = 100 // 10 s at 10 fps: without the forced IDR a reader would wait seconds
	g := startGateway(t, CameraConfig{Name: "c", URL: cam.URL(), Sub: sub})
	waitState(t, g.Camera("c"), StateReady, 10*time.Second)
	time.Sleep(1500 * time.Millisecond) // be mid-GOP
	for i := 0; i < 3; i++ {
		r := newReader(t, g.Server().URL("c/sub"), false)
		deadline := time.Now().Add(2 * time.Second)
		var idrs []time.Time
		for time.Now().Before(deadline) {
			if _, idrs, _, _ = r.snapshot(); len(idrs) > 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if len(idrs) == 0 {
			t.Fatal("no IDR within 2 s of PLAY")
		}
		d := idrs[0].Sub(r.played)
		t.Logf("reader %d: IDR %v after PLAY", i, d.Round(time.Millisecond))
		if d > 200*time.Millisecond {
			t.Errorf("reader %d: IDR %v after PLAY, want within 200 ms", i, d)
		}
		time.Sleep(700 * time.Millisecond)
	}
}

func TestStopIsPromptAndComplete(t *testing.T) {
	cam := startFake(t, loadClip(t, "reschange.h264"), false)
	hub := stream.NewHub()
	defer hub.Close()
	c, err := StartCamera(context.Background(), CameraConfig{Name: "c", URL: cam.URL(), Sub: DefaultSub}, hub, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, c, StateReady, 10*time.Second)
	start := time.Now()
	c.Stop()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Stop took %v, want under 1 s", d)
	}
	c.Stop() // twice is harmless
	if st := c.Stats(); st.State != StateStopped {
		t.Errorf("state %v after Stop", st.State)
	}
	time.Sleep(100 * time.Millisecond)
	if _, open := cam.Connections(); open != 0 {
		t.Errorf("%d connections to the camera still open after Stop", open)
	}
	goleak.VerifyNone(t, goleak.IgnoreCurrent())
}

func TestConfigErrors(t *testing.T) {
	_, err := StartGateway(Config{RTSP: rtsp.ServerConfig{Address: "127.0.0.1:0"}, Cameras: []CameraConfig{
		{Name: "a b", URL: "rtsp://x/y", Sub: DefaultSub},
		{Name: "ok", URL: "http://x/y"},
		{Name: "ok2", URL: "rtsp://x/y", Sub: OutputConfig{Enabled: true, Width: 641, Height: 360, FPS: 10}},
	}}, zerolog.Nop())
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{`name "a b"`, "scheme", "must be even"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestFrozenCameraClock: a camera that sends every picture with the same
// RTP timestamp (seen with cheap cameras and badly built servers) still gets
// a sub stream at its configured frame rate, timed by the pictures' arrival.
func TestFrozenCameraClock(t *testing.T) {
	cam := startFake(t, loadClip(t, "reschange.h264"), false)
	cam.FreezeClock(true)
	g := startGateway(t, CameraConfig{Name: "c", URL: cam.URL(), Sub: DefaultSub})
	waitState(t, g.Camera("c"), StateReady, 10*time.Second)
	r := newReader(t, g.Server().URL("c/sub"), false)
	r.waitFrames(1, 5*time.Second)
	n0, _, _, _ := r.snapshot()
	time.Sleep(3 * time.Second)
	n1, _, _, backwards := r.snapshot()
	fps := float64(n1-n0) / 3
	t.Logf("sub stream of a camera with a frozen clock: %.1f fps", fps)
	if fps < 8 || fps > 11 {
		t.Errorf("sub at %.1f fps, want about 10", fps)
	}
	if backwards != 0 {
		t.Errorf("%d timestamps went backwards", backwards)
	}
}
