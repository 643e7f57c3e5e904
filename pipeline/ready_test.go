package pipeline

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/rtsp/rtsptest"
)

// TestReadyMeansDecodedPicture: a camera whose sub stream needs decoding is
// ready only once a picture of its session decoded, not on its first access
// unit.
func TestReadyMeansDecodedPicture(t *testing.T) {
	t.Parallel()
	cam := startFake(t, loadClip(t, "reschange.h264"), false)
	g := startGateway(t, CameraConfig{Name: "c", URL: cam.URL(), Sub: DefaultSub})
	c := g.Camera("c")
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		if st := c.Stats(); st.State == StateReady {
			if st.Decoded == 0 {
				t.Fatalf("ready with no picture decoded: %+v", st)
			}
			break
		}
		if time.Since(start) > patience {
			t.Fatalf("never ready: %+v", c.Stats())
		}
	}
}

// TestPassthroughReadyWithoutDecoding: a camera whose outputs need no
// decoding (its main passed through, no sub, no grid) is ready on a keyframe
// with its parameter sets, and nothing is decoded.
func TestPassthroughReadyWithoutDecoding(t *testing.T) {
	t.Parallel()
	cam := startFake(t, loadClip(t, "reschange.h264"), false)
	g := startGateway(t, CameraConfig{Name: "c", URL: cam.URL()})
	c := g.Camera("c")
	waitState(t, c, StateReady, patience)
	main := newReader(t, g.Server().URL("c/main"), false)
	main.waitFrames(5, patience)
	if st := c.Stats(); st.Decoded != 0 || st.State != StateReady {
		t.Errorf("passthrough camera: %+v, want ready with nothing decoded", st)
	}
}

// TestGarbageCameraFails: a camera that answers RTSP correctly, then sends
// random bytes as H.264, is never ready; its session ends with an error that
// says so, and it is retried with backoff.
func TestGarbageCameraFails(t *testing.T) {
	t.Parallel()
	cam := startFake(t, loadClip(t, "reschange.h264"), false)
	cam.Garbage(true)
	g := startGateway(t, CameraConfig{Name: "c", URL: cam.URL(), Sub: DefaultSub})
	c := g.Camera("c")
	start := time.Now()
	var failedAt time.Time
	var st CameraStats
	// Until its second failure: neither ever ready.
	for st.Reconnects < 2 {
		if time.Since(start) > patience {
			t.Fatalf("the garbage camera's session was not ended: %+v", st)
		}
		st = c.Stats()
		if st.State == StateReady {
			t.Fatalf("a camera sending garbage is ready: %+v", st)
		}
		if st.Reconnects == 1 && failedAt.IsZero() {
			failedAt = time.Now()
			t.Logf("failed after %v: %s (state %v)", failedAt.Sub(start).Round(time.Millisecond), st.LastError, st.State)
			if !strings.Contains(st.LastError, "camera sends H.264 that does not decode") || !strings.Contains(st.LastError, "none decoded") {
				t.Errorf("last error %q, want it to say the H.264 does not decode", st.LastError)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st.Decoded != 0 {
		t.Errorf("%d pictures decoded from garbage", st.Decoded)
	}
	t.Logf("second failure %v after the first", time.Since(failedAt).Round(time.Millisecond))
	// The camera is fine again: it is ready again, its error kept until then.
	cam.Garbage(false)
	waitState(t, c, StateReady, patience)
}

// logLines is a zerolog writer that keeps JSON lines for a test.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logLines) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.buf.String()), "\n")
}

// TestHostileCameraTextEscaped: a camera whose SDP holds binary bytes,
// terminal escapes and a huge line: its last error and every field of every
// log line are printable and short.
func TestHostileCameraTextEscaped(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("\xfe\x00\x1b[2J", 2000)
	url := rtsptest.DescribeCamera(t, "v=0\r\n\x1b]0;pwned\x07"+huge+"\r\nm=video 0 RTP/AVP 96\r\n")
	logs := &logLines{}
	cfg := CameraConfig{Name: "c", URL: url, Sub: DefaultSub}
	g, err := StartGateway(Config{RTSP: rtsp.ServerConfig{Address: "127.0.0.1:0"}, Cameras: []CameraConfig{cfg}}, zerolog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	c := g.Camera("c")
	var st CameraStats
	for start := time.Now(); st.LastError == ""; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > patience {
			t.Fatal("no error from a camera with a broken SDP")
		}
		st = c.Stats()
	}
	g.Close()
	t.Logf("last error: %s", st.LastError)
	rtsptest.Printable(t, "last_error", st.LastError, 400)
	n := 0
	for _, line := range logs.lines() {
		var fields map[string]any
		if err := json.Unmarshal([]byte(line), &fields); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		for k, v := range fields {
			if s, ok := v.(string); ok {
				rtsptest.Printable(t, "log field "+k, s, 400)
				n++
			}
		}
	}
	if n == 0 {
		t.Error("nothing logged")
	}
}
