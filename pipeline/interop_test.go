package pipeline

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/camgate/camgate/rtsp"
)

// gstCamera is GStreamer's RTSP server playing a clip: a camera whose RTSP
// stack is not the one camgate uses (see testdata/gst-rtsp-camera.py).
type gstCamera struct {
	port string
	cmd  *exec.Cmd
}

// startGstCamera starts the GStreamer camera on port, or on a free port when
// port is "": one found by binding port 0, which another process may take
// before GStreamer binds it, so the start is retried on another one then.
func startGstCamera(t *testing.T, port string) *gstCamera {
	t.Helper()
	if port != "" {
		return startGstCameraOn(t, port, true)
	}
	for try := 0; ; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
		l.Close()
		if g := startGstCameraOn(t, port, try == 4); g != nil {
			return g
		}
		t.Logf("port %s taken before GStreamer could listen on it: another one", port)
	}
}

// startGstCameraOn returns nil when the port is taken and last is false.
func startGstCameraOn(t *testing.T, port string, last bool) *gstCamera {
	t.Helper()
	cmd := exec.Command("/usr/bin/python3", "../testdata/gst-rtsp-camera.py", port)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal("GStreamer's RTSP server (scripts/test-deps.sh installs it): ", err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ready <- sc.Scan() && sc.Text() == "ready"
		for sc.Scan() {
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Process.Kill()
			cmd.Wait()
			if !last && strings.Contains(stderr.String(), "cannot listen") {
				return nil
			}
			t.Fatalf("GStreamer camera did not start: %s", stderr.String())
		}
	case <-time.After(patience):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("GStreamer camera: not ready in %v: %s", patience, stderr.String())
	}
	g := &gstCamera{port: port, cmd: cmd}
	t.Cleanup(g.stop)
	return g
}

func (g *gstCamera) url() string { return "rtsp://127.0.0.1:" + g.port + "/cam" }

func (g *gstCamera) stop() {
	if g.cmd.ProcessState == nil {
		g.cmd.Process.Kill()
		g.cmd.Wait()
	}
}

var gstCaps = regexp.MustCompile(`fakesink0\.GstPad:sink: caps = video/x-raw, format=\(string\)I420, width=\(int\)(\d+), height=\(int\)(\d+)`)

// gstRead plays url with GStreamer's rtspsrc over proto (tcp or udp), decodes
// 40 pictures and returns their size.
func gstRead(t *testing.T, url, proto string) string {
	t.Helper()
	cmd := exec.Command("timeout", "20", "gst-launch-1.0", "-e", "rtspsrc", "location="+url, "protocols="+proto,
		"!", "rtph264depay", "!", "h264parse", "!", "avdec_h264", "!", "identity", "eos-after=40", "!", "fakesink", "-v")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gst-launch-1.0 rtspsrc %s (%s): %v\n%s", url, proto, err, tailLines(string(out), 15))
	}
	m := gstCaps.FindStringSubmatch(string(out))
	if m == nil || !strings.Contains(string(out), "Got EOS") {
		t.Fatalf("gst-launch-1.0 rtspsrc %s (%s): no 40 decoded pictures\n%s", url, proto, tailLines(string(out), 15))
	}
	return m[1] + "x" + m[2]
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestGStreamerInterop pulls a camera served by GStreamer's RTSP server, over
// TCP and over UDP, and has GStreamer's rtspsrc and Debian's ffprobe read
// what camgate serves; then the GStreamer camera goes away and comes back.
func TestGStreamerInterop(t *testing.T) {
	t.Parallel() // mostly waiting on a reader: it overlaps the other long tests
	cam := startGstCamera(t, "")
	port := cam.port
	g, err := startGatewayUDP(t, Config{
		RTSP: rtsp.ServerConfig{Address: "127.0.0.1:0"},
		Cameras: []CameraConfig{
			{Name: "tcp", URL: cam.url(), Sub: DefaultSub, StallTimeout: 2 * time.Second,
				Backoff: Backoff{Min: 200 * time.Millisecond, Max: time.Second}},
			{Name: "udp", URL: cam.url(), Transport: rtsp.TransportUDP, Sub: DefaultSub},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	waitState(t, g.Camera("tcp"), StateReady, patience)
	waitState(t, g.Camera("udp"), StateReady, patience)

	for _, c := range []struct{ path, proto, size string }{
		{"tcp/sub", "tcp", "640x360"}, {"udp/sub", "udp", "640x360"}, {"tcp/main", "udp", "1280x720"},
	} {
		if got := gstRead(t, g.Server().URL(c.path), c.proto); got != c.size {
			t.Errorf("rtspsrc %s over %s: %s, want %s", c.path, c.proto, got, c.size)
		}
	}
	if got := ffprobeStreams(t, g.Server().URL("udp/sub")); len(got) != 1 || got[0] != "h264,640,360" {
		t.Errorf("ffprobe udp/sub: %q", got)
	}
	// GStreamer's camera encodes 720p in real time, one encoder per session:
	// on a loaded machine it sends fewer than its 25 fps, so its rate is the
	// machine's, not camgate's. What is camgate's: the pictures keep coming,
	// and every one decodes.
	for _, name := range []string{"tcp", "udp"} {
		c := g.Camera(name)
		before := c.Stats().FramesIn
		for start := time.Now(); c.Stats().FramesIn < before+25 && time.Since(start) < patience; {
			time.Sleep(20 * time.Millisecond)
		}
		if st := c.Stats(); st.DecodeErrors != 0 || st.FramesIn < before+25 {
			t.Errorf("%s camera: %d decode errors, %d pictures in (%d before), %.1f fps", name, st.DecodeErrors, st.FramesIn, before, st.FPSIn)
		}
	}

	// The GStreamer camera dies and comes back on the same port.
	cam.stop()
	start := time.Now()
	for g.Camera("tcp").Stats().State == StateReady {
		if time.Since(start) > patience {
			t.Fatal("camera still ready long after its server died")
		}
		time.Sleep(20 * time.Millisecond)
	}
	startGstCamera(t, port)
	back := waitState(t, g.Camera("tcp"), StateReady, patience)
	t.Logf("back %v after the GStreamer camera restarted", back.Round(time.Millisecond))
	if got := gstRead(t, g.Server().URL("tcp/sub"), "tcp"); got != "640x360" {
		t.Errorf("rtspsrc tcp/sub after the restart: %s", got)
	}
}
