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

// patience bounds waiting for something that must happen: generous, for a
// loaded machine shared with another test process; it asserts no speed.
const patience = 60 * time.Second

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
	waitState(t, g.Camera("front"), StateReady, patience)

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
	waitState(t, g.Camera("c"), StateReady, patience)
	var readers []*reader
	for i := 0; i < 3; i++ {
		readers = append(readers, newReader(t, g.Server().URL("c/sub"), false))
		readers = append(readers, newReader(t, g.Server().URL("c/main"), false))
	}
	for _, r := range readers {
		r.waitFrames(5, patience)
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
	waitState(t, c, StateReady, patience)
	sub := newReader(t, g.Server().URL("c/sub"), false)
	main := newReader(t, g.Server().URL("c/main"), false)
	sub.waitFrames(5, patience)
	main.waitFrames(5, patience)

	const down = 1500 * time.Millisecond
	cam.Reboot(down)
	back := time.Now().Add(down)
	// The camera is seen down: the state leaves ready (polled, not sampled
	// once after a guessed delay).
	for start := time.Now(); c.Stats().State == StateReady; time.Sleep(5 * time.Millisecond) {
		if time.Since(start) > patience {
			t.Fatal("state still ready long after the camera rebooted")
		}
	}
	for name, r := range map[string]*reader{"sub": sub, "main": main} {
		// When the frames come back depends on the backoff's jitter and the
		// machine's load: logged, not asserted; that they come back, on the
		// same session, is.
		first := r.waitFrames(5, patience)
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
	waitState(t, c, StateReady, patience)
	sub := newReader(t, g.Server().URL("c/sub"), false)
	sub.waitFrames(3, patience)

	cam.Stall(true)
	stalledAt := time.Now()
	var detected time.Duration
	for time.Since(stalledAt) < patience {
		if st := c.Stats(); st.Reconnects > 0 {
			detected = time.Since(stalledAt)
			if !strings.Contains(st.LastError, "stalled") {
				t.Errorf("last error %q, want it to say stalled", st.LastError)
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The stall timer, not some other timeout, ended the session: the error
	// says so (above), and it did not fire before the camera had been silent
	// for the stall timeout (its last frame came at most a frame before).
	if detected == 0 || detected < stall-100*time.Millisecond {
		t.Fatalf("stall detected after %v, want after the %v stall timeout", detected, stall)
	}
	t.Logf("stall detected after %v", detected.Round(time.Millisecond))
	cam.Stall(false)
	waitState(t, c, StateReady, patience)
	sub.waitFrames(5, patience)
}

func TestGarbageAndResolutionChange(t *testing.T) {
	cam := startFake(t, loadClip(t, "cam1080p25.h264"), false)
	g := startGateway(t, CameraConfig{Name: "c", URL: cam.URL(), Sub: DefaultSub})
	c := g.Camera("c")
	waitState(t, c, StateReady, patience)
	sub := newReader(t, g.Server().URL("c/sub"), true)
	sub.waitFrames(5, patience)

	cam.Garbage(true)
	for start := time.Now(); c.Stats().DecodeErrors == 0 && time.Since(start) < patience; {
		time.Sleep(20 * time.Millisecond)
	}
	cam.Garbage(false)
	before := c.Stats()
	if before.DecodeErrors == 0 {
		t.Errorf("garbage counted no decode error: %+v", before)
	}
	// The camera's resolution changes in the same session, twice: 1920x1080
	// to 640x360, then to 480x272 (the clip changes size halfway).
	cam.SetClip(loadClip(t, "reschange.h264"))
	// Until the camera's own stream (main, passed through) shows the second
	// size, rather than for a delay that happens to be long enough.
	main := newReader(t, g.Server().URL("c/main"), true)
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		main.mu.Lock()
		n := main.sizes[[2]int{480, 272}]
		main.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Since(start) > patience {
			t.Fatal("the camera's stream never reached 480x272")
		}
	}
	sub.waitFrames(10, patience)
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
	// 100 s at 10 fps: without the forced IDR a reader would wait for
	// minutes, so a generous wait (for a loaded machine) still tells them
	// apart; every reader joins mid-GOP.
	const gop = 1000
	sub.Encoder.GOP = gop
	g := startGateway(t, CameraConfig{Name: "c", URL: cam.URL(), Sub: sub})
	waitState(t, g.Camera("c"), StateReady, patience)
	for i := 0; i < 3; i++ {
		r := newReader(t, g.Server().URL("c/sub"), false)
		deadline := time.Now().Add(gop / 10 * time.Second / 5)
		var idrs []time.Time
		for time.Now().Before(deadline) {
			if _, idrs, _, _ = r.snapshot(); len(idrs) > 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if len(idrs) == 0 {
			t.Fatalf("no IDR within a fifth of the %d-frame GOP of PLAY", gop)
		}
		d := idrs[0].Sub(r.played)
		t.Logf("reader %d: IDR %v after PLAY", i, d.Round(time.Millisecond))
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
	waitState(t, c, StateReady, patience)
	start := time.Now()
	c.Stop()
	// Stop cuts the camera's session: it does not wait for a read to time
	// out (gortsplib's read timeout is 10 s), however loaded the machine.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop took %v: it waited for a timeout", d)
	}
	c.Stop() // twice is harmless
	if st := c.Stats(); st.State != StateStopped {
		t.Errorf("state %v after Stop", st.State)
	}
	// The camera sees the connection close a moment later.
	for start := time.Now(); time.Since(start) < patience; time.Sleep(10 * time.Millisecond) {
		if _, open := cam.Connections(); open == 0 {
			break
		}
	}
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
	waitState(t, g.Camera("c"), StateReady, patience)
	r := newReader(t, g.Server().URL("c/sub"), false)
	r.waitFrames(1, patience)
	// Counted against the camera's own pictures in the same window, not the
	// wall clock: 10 sub pictures for 25 in, however fast the machine.
	c := g.Camera("c")
	in0 := c.Stats().FramesIn
	n0, _, _, _ := r.snapshot()
	for start := time.Now(); c.Stats().FramesIn < in0+100; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > patience {
			t.Fatal("the camera stopped sending")
		}
	}
	n1, _, _, backwards := r.snapshot()
	in1 := c.Stats().FramesIn
	fps := float64(n1-n0) / float64(in1-in0) * 25
	t.Logf("sub stream of a camera with a frozen clock: %d pictures for %d in: %.1f fps", n1-n0, in1-in0, fps)
	if fps < 8 || fps > 11 {
		t.Errorf("sub at %.1f fps (%d pictures for %d at 25 fps), want about 10", fps, n1-n0, in1-in0)
	}
	if backwards != 0 {
		t.Errorf("%d timestamps went backwards", backwards)
	}
}
