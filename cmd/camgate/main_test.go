package main

import (
	"bytes"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"version"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"camgate dev", "FFmpeg 7.1", "libavcodec 61.", "x264    build 1", "GPL"} {
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

// TestDemoRunsAndStopsOnSignal runs `camgate run` with no configuration: the
// demo's sub stream must be readable by ffprobe, and SIGTERM must end the run
// cleanly, with exit status 0, within 3 s.
func TestDemoRunsAndStopsOnSignal(t *testing.T) {
	t.Chdir(t.TempDir()) // no camgate.yml here
	var out, errb syncBuffer
	code := make(chan int, 1)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	go func() { code <- run([]string{"run", "-rtsp", addr}, &out, &errb) }()

	url := "rtsp://" + addr + "/demo/sub"
	deadline := time.Now().Add(20 * time.Second)
	var probe []byte
	for time.Now().Before(deadline) {
		if strings.Contains(out.String(), url) {
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

	start := time.Now()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit status %d after SIGTERM, want 0\n%s", c, errb.String())
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("shutdown took %v, want under 3 s", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("camgate run did not end within 5 s of SIGTERM")
	}
}
