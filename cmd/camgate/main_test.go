package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/rtsp/fakecam"
)

func TestVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"version"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"camgate dev", "FFmpeg 7.1", "libavcodec 61.", "x264    build 1", "GPL", "MIT", "configure ", "--enable-libx264"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("version output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"frobnicate"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown command "frobnicate"`) {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	if code := run([]string{"run", "-c", "/nonexistent.yml"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "nonexistent.yml") {
		t.Errorf("missing file: exit %d, stderr %q", code, errb.String())
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// patience bounds waiting for something that must happen: generous, for a
// loaded machine; it asserts no speed.
const patience = 60 * time.Second

var (
	dashboardLine = regexp.MustCompile(`(?m)^dashboard http://([^/\s]+)/$`)
	streamLine    = regexp.MustCompile(`(?m)^stream rtsp://([^/\s]+)/`)
)

// listening waits until `camgate run`, started on ephemeral ports (port 0),
// prints where it listens, and returns the RTSP and API addresses it prints.
func listening(t *testing.T, out, errb *syncBuffer, code chan int) (rtspAddr, apiAddr string) {
	t.Helper()
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case c := <-code:
			t.Fatalf("camgate run ended with %d before listening:\n%s", c, errb.String())
		default:
		}
		d, s := dashboardLine.FindStringSubmatch(out.String()), streamLine.FindStringSubmatch(out.String())
		if d != nil && s != nil {
			return s[1], d[1]
		}
	}
	t.Fatalf("camgate run printed no addresses within %v:\nstdout: %s\nstderr: %s", patience, out.String(), errb.String())
	return "", ""
}

// TestDemoRunsAndStopsOnSignal runs `camgate run` with no configuration: the
// demo's streams must be readable by ffprobe, `camgate health` and `camgate
// snapshot` must work against it, and SIGTERM, with a reader connected, must
// end the run cleanly, with exit status 0, within 3 s, leaving the port free.
func TestDemoRunsAndStopsOnSignal(t *testing.T) {
	t.Chdir(t.TempDir()) // no camgate.yml here
	var out, errb syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"run", "-rtsp", "127.0.0.1:0", "-api", "127.0.0.1:0", "-webrtc", "127.0.0.1:0", "-hls", "127.0.0.1:0"}, &out, &errb)
	}()
	addr, apiAddr := listening(t, &out, &errb, code)

	url := "rtsp://" + addr + "/demo/sub"
	deadline := time.Now().Add(patience)
	var probe []byte
	for time.Now().Before(deadline) {
		if strings.Contains(out.String(), "rtsp://"+addr+"/grid/demo") {
			var err error
			probe, err = exec.Command("ffprobe", "-v", "error", "-rtsp_transport", "tcp",
				"-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", url).Output()
			if err == nil {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := strings.TrimSpace(string(probe)); got != "h264,640,360" {
		t.Errorf("ffprobe %s: %q, want h264,640,360\nstdout: %s\nstderr: %s", url, got, out.String(), errb.String())
	}
	grid, err := exec.Command("ffprobe", "-v", "error", "-rtsp_transport", "tcp",
		"-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", "rtsp://"+addr+"/grid/demo").Output()
	if got := strings.TrimSpace(string(grid)); err != nil || got != "h264,1280,720" {
		t.Errorf("ffprobe grid/demo: %q %v, want h264,1280,720", got, err)
	}

	// The same streams over LL-HLS, read by ffprobe and decoded for 5 s by
	// ffmpeg with no error line: a sub and the grid, at the URLs camgate
	// printed.
	for _, hls := range []struct{ path, want string }{{"demo/sub", "h264,640,360"}, {"grid/demo", "h264,1280,720"}} {
		m := regexp.MustCompile(`(?m)^hls (http://\S+/` + hls.path + `/index\.m3u8)$`).FindStringSubmatch(out.String())
		if m == nil {
			t.Errorf("camgate run printed no HLS URL of %s:\n%s", hls.path, out.String())
			continue
		}
		var got string
		for deadline := time.Now().Add(patience); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			// The muxer is made on the first request; its first segment
			// takes a GOP (404 "not ready" until then).
			b, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", m[1]).Output()
			// A multivariant playlist lists its stream twice: under its
			// program and alone.
			if got, _, _ = strings.Cut(strings.TrimSpace(string(b)), "\n"); err == nil && got != "" {
				break
			}
		}
		if got != hls.want {
			t.Errorf("ffprobe %s: %q, want %s", m[1], got, hls.want)
			continue
		}
		dec, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", m[1], "-t", "5", "-f", "null", "-").CombinedOutput()
		if err != nil || len(bytes.TrimSpace(dec)) != 0 {
			t.Errorf("ffmpeg decoding 5 s of %s: %v\n%s", m[1], err, dec)
		}
	}

	var hout, herr bytes.Buffer
	if c := run([]string{"health", "-api", apiAddr}, &hout, &herr); c != 0 {
		t.Errorf("camgate health: exit %d: %s", c, herr.String())
	}
	if c := run([]string{"health", "-api", freeAddr(t)}, &hout, &herr); c != 1 {
		t.Errorf("camgate health against nothing: exit %d, want 1", c)
	}
	snap := t.TempDir() + "/demo.jpg"
	if c := run([]string{"snapshot", "demo", "-api", apiAddr, "-width", "320", "-o", snap}, &hout, &herr); c != 0 {
		t.Errorf("camgate snapshot: exit %d: %s", c, herr.String())
	} else if b, err := os.ReadFile(snap); err != nil || len(b) < 1000 || b[0] != 0xff || b[1] != 0xd8 {
		t.Errorf("snapshot file: %d bytes, %v", len(b), err)
	}
	// The demo's grid, to the default file name grid-demo.jpg.
	if c := run([]string{"snapshot", "grid/demo", "-api", apiAddr, "-width", "320"}, &hout, &herr); c != 0 {
		t.Errorf("camgate snapshot grid/demo: exit %d: %s", c, herr.String())
	} else if img, err := os.ReadFile("grid-demo.jpg"); err != nil || len(img) < 1000 || img[0] != 0xff || img[1] != 0xd8 {
		t.Errorf("grid snapshot file: %d bytes, %v", len(img), err)
	}

	// A reader stays connected while the signal comes.
	reader := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-f", "null", "-")
	if err := reader.Start(); err != nil {
		t.Fatal(err)
	}
	defer reader.Process.Kill()
	// Until camgate counts it as a reader of demo/sub, not for a guessed delay.
	readers := func() int {
		res, err := http.Get("http://" + apiAddr + "/v1/cameras/demo")
		if err != nil {
			return 0
		}
		defer res.Body.Close()
		var cam struct {
			Outputs []struct {
				Name    string `json:"name"`
				Readers int    `json:"readers"`
			} `json:"outputs"`
		}
		json.NewDecoder(res.Body).Decode(&cam)
		for _, o := range cam.Outputs {
			if o.Name == "sub" {
				return o.Readers
			}
		}
		return 0
	}
	for start := time.Now(); readers() < 1; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > patience {
			t.Fatal("ffmpeg never became a reader of demo/sub")
		}
	}
	http.DefaultClient.CloseIdleConnections()

	select {
	case c := <-code: // sending SIGTERM now would end the test binary
		t.Fatalf("camgate run ended early with %d:\n%s", c, errb.String())
	default:
	}
	start := time.Now()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit status %d after SIGTERM, want 0\n%s", c, errb.String())
		}
		// Not a speed: a shutdown that waited for the connected reader (or
		// for a 10 s read timeout) instead of ending its session.
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("shutdown took %v: it waited for the reader", d)
		}
	case <-time.After(patience):
		t.Fatalf("camgate run did not end within %v of SIGTERM", patience)
	}
	for _, a := range []string{addr, apiAddr} {
		l, err := net.Listen("tcp", a)
		if err != nil {
			t.Errorf("port %s still taken after shutdown: %v", a, err)
			continue
		}
		l.Close()
	}
	reader.Wait() // the reader sees the end of the stream
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	pwFile := dir + "/pw"
	os.WriteFile(pwFile, []byte("s3cret\n"), 0o600)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := dir + "/camgate.yml"
	os.WriteFile(cfg, []byte(`rtsp:
  listen: `+busy.Addr().String()+`
api:
  listen: off
cameras:
  front:
    url: rtsp://admin:hunter2@10.0.0.5/s1
  back:
    url: rtsp://10.0.0.6/s1
    user: admin
    password_file: `+pwFile+`
`), 0o600)
	var out, errb bytes.Buffer
	c := run([]string{"check", "-c", cfg}, &out, &errb)
	if c != 1 || !strings.Contains(errb.String(), "port in use") {
		t.Errorf("check with a busy port: exit %d, stderr %q", c, errb.String())
	}
	for _, want := range []string{"front:", "url: rtsp://admin:xxxxx@10.0.0.5/s1", "back:", "url: rtsp://admin:xxxxx@10.0.0.6/s1", "size: 640x360", "stall_timeout: 5s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}
	for _, secret := range []string{"hunter2", "s3cret"} {
		if strings.Contains(out.String()+errb.String(), secret) {
			t.Errorf("check shows the password %q", secret)
		}
	}
	out.Reset()
	errb.Reset()
	if c := run([]string{"check", "-c", cfg, "-ports=false"}, &out, &errb); c != 0 {
		t.Errorf("check without the port test: exit %d: %s", c, errb.String())
	}
	os.WriteFile(cfg, []byte("cameras:\n  x:\n    url: ftp://nope\n    sub: {size: 1x1}\n"), 0o600)
	errb.Reset()
	if c := run([]string{"check", "-c", cfg}, &out, &errb); c != 1 || !strings.Contains(errb.String(), "line 3") || !strings.Contains(errb.String(), "line 4") {
		t.Errorf("invalid file: exit %d, stderr %q: want both problems with their lines", c, errb.String())
	}
}

// TestSIGHUPReloadsOnlyWhatChanged: a camera added to the file appears after
// SIGHUP, and the camera already running is not reconnected.
func TestSIGHUPReloadsOnlyWhatChanged(t *testing.T) {
	var fakes []*fakecam.Camera
	for i := 0; i < 2; i++ {
		clip, err := demo.Clip(320, 180, 25, 2, 10, 100*i)
		if err != nil {
			t.Fatal(err)
		}
		f, err := fakecam.Start(fakecam.Config{Clip: clip})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fakes = append(fakes, f)
	}
	dir := t.TempDir()
	cfg := dir + "/camgate.yml"
	base := "rtsp:\n  listen: 127.0.0.1:0\n  udp_rtp: off\napi:\n  listen: 127.0.0.1:0\nwebrtc:\n  listen: off\nhls:\n  listen: off\ncameras:\n  one:\n    url: " + fakes[0].URL() + "\n"
	os.WriteFile(cfg, []byte(base), 0o600)
	var out, errb syncBuffer
	code := make(chan int, 1)
	go func() { code <- run([]string{"run", "-c", cfg}, &out, &errb) }()
	_, apiAddr := listening(t, &out, &errb, code)

	cameras := func() map[string]uint64 {
		res, err := http.Get("http://" + apiAddr + "/v1/cameras")
		if err != nil {
			return nil
		}
		defer res.Body.Close()
		var list []struct {
			Name       string `json:"name"`
			State      string `json:"state"`
			Reconnects uint64 `json:"reconnects"`
		}
		json.NewDecoder(res.Body).Decode(&list)
		m := map[string]uint64{}
		for _, c := range list {
			if c.State == "ready" {
				m[c.Name] = c.Reconnects
			}
		}
		return m
	}
	waitFor := func(what string, ok func(map[string]uint64) bool) map[string]uint64 {
		deadline := time.Now().Add(patience)
		for time.Now().Before(deadline) {
			if m := cameras(); ok(m) {
				return m
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("%s: cameras %v\n%s", what, cameras(), errb.String())
		return nil
	}
	waitFor("first camera ready", func(m map[string]uint64) bool { _, ok := m["one"]; return ok })
	os.WriteFile(cfg, []byte(base+"  two:\n    url: "+fakes[1].URL()+"\n"), 0o600)
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	m := waitFor("second camera after SIGHUP", func(m map[string]uint64) bool { _, ok := m["two"]; return ok })
	if m["one"] != 0 {
		t.Errorf("camera one reconnected %d times: the reload touched it", m["one"])
	}
	if total, _ := fakes[0].Sessions(); total != 1 {
		t.Errorf("camera one's fake saw %d sessions, want 1", total)
	}
	select {
	case c := <-code:
		t.Fatalf("run ended early with %d:\n%s", c, errb.String())
	default:
	}
	syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
	if c := <-code; c != 0 {
		t.Errorf("exit %d", c)
	}
}

// camgate health in a container: the API address comes from
// CAMGATE_API_LISTEN when there is no file, and every-interface addresses are
// reached on loopback.
func TestAPIFlagsResolveFromEnv(t *testing.T) {
	t.Chdir(t.TempDir()) // no camgate.yml here
	for env, want := range map[string]string{
		"":                "127.0.0.1:9997",
		"off":             "127.0.0.1:9997",
		"0.0.0.0:19998":   "127.0.0.1:19998",
		"[::]:19998":      "127.0.0.1:19998",
		":19998":          "127.0.0.1:19998",
		"192.0.2.7:19998": "192.0.2.7:19998",
		"127.0.0.1:19999": "127.0.0.1:19999",
	} {
		t.Setenv("CAMGATE_API_LISTEN", env)
		var a apiFlags
		a.resolve()
		if a.addr != want {
			t.Errorf("CAMGATE_API_LISTEN=%q: address %q, want %q", env, a.addr, want)
		}
	}
}
