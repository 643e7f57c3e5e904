package rtsp

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"go.uber.org/goleak"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/stream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func startCamera(t *testing.T, clip string, audio bool) *fakecam.Camera {
	t.Helper()
	c, err := fakecam.LoadClip("../testdata/" + clip)
	if err != nil {
		t.Fatal(err)
	}
	cam, err := fakecam.Start(fakecam.Config{Clip: c, Audio: audio})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cam.Close)
	return cam
}

// recorder is a SourceHandler that keeps what it gets.
type recorder struct {
	mu      sync.Mutex
	info    []SessionInfo
	aus     []stream.Unit // video
	packets int           // RTP packets of every track
}

func (r *recorder) OnSession(i SessionInfo) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.info = append(r.info, i)
	return nil
}

func (r *recorder) OnUnit(u stream.Unit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if u.Kind == stream.Video {
		r.aus = append(r.aus, u)
	}
	r.packets += len(u.Native.([]*rtp.Packet))
}

func TestSourceReadsCamera(t *testing.T) {
	for _, tc := range []struct {
		clip  string
		codec codec.Codec
	}{{"cam720p25.hevc", codec.H265}, {"reschange.h264", codec.H264}} {
		t.Run(tc.clip, func(t *testing.T) {
			cam := startCamera(t, tc.clip, true)
			src, err := NewSource(SourceConfig{URL: cam.URL()})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			var r recorder
			err = src.Run(ctx, &r)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Run ended with %v, want the context's deadline", err)
			}
			if len(r.info) != 1 || r.info[0].Codec != tc.codec || len(r.info[0].ParameterSets.List()) < 2 {
				t.Fatalf("session info %+v", r.info)
			}
			// 3 s at 25 fps, less the wait for the first keyframe (the clips
			// have one every 1 or 2 s).
			if n := len(r.aus); n < 20 || n > 76 {
				t.Errorf("%d access units in 3 s, want 20 to 75", n)
			}
			if len(r.aus) > 0 && !r.aus[0].Keyframe {
				t.Error("the first access unit is not a keyframe")
			}
			for i, au := range r.aus {
				if au.Keyframe != codec.IsKeyframe(tc.codec, au.Data) {
					t.Fatalf("access unit %d: keyframe flag %v disagrees with its NAL units", i, au.Keyframe)
				}
			}
			for i := 1; i < len(r.aus); i++ {
				if d := r.aus[i].PTS - r.aus[i-1].PTS; d != 40*time.Millisecond {
					t.Fatalf("access unit %d: PTS step %v, want 40ms", i, d)
				}
			}
			if r.packets <= len(r.aus) {
				t.Errorf("%d packets for %d access units: audio missing?", r.packets, len(r.aus))
			}
			if s := src.Stats(); s.BytesIn == 0 || s.AccessUnits != uint64(len(r.aus)) {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestSourceDetectsStall(t *testing.T) {
	cam := startCamera(t, "reschange.h264", false)
	src, err := NewSource(SourceConfig{URL: cam.URL(), StallTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(500*time.Millisecond, func() { cam.Stall(true) })
	start := time.Now()
	err = src.Run(context.Background(), &recorder{})
	if !errors.Is(err, ErrStalled) {
		t.Fatalf("Run ended with %v, want ErrStalled", err)
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("stall detected after %v, want about 1.5 s", d)
	}
}

func TestSourceErrors(t *testing.T) {
	for _, u := range []string{"http://cam/x", "rtsp://", "::"} {
		if _, err := NewSource(SourceConfig{URL: u}); err == nil {
			t.Errorf("NewSource(%q) accepted", u)
		}
	}
	// Nothing listens: a clear error, quickly.
	src, _ := NewSource(SourceConfig{URL: "rtsp://user:secret@127.0.0.1:1/x", ConnectTimeout: time.Second})
	err := src.Run(context.Background(), &recorder{})
	if err == nil {
		t.Fatal("Run succeeded against a closed port")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows the password", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"rtsp://admin:hunter2@10.0.0.5:554/stream1": "rtsp://admin:xxxxx@10.0.0.5:554/stream1",
		"rtsp://10.0.0.5/stream1":                   "rtsp://10.0.0.5/stream1",
		"rtsp://admin@10.0.0.5/s":                   "rtsp://admin@10.0.0.5/s",
		"rtsp://a:b c@%zz":                          "<unparsable URL>",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSourceHungCamera: a camera that accepts the connection and never
// answers is given up after ConnectTimeout, not waited on forever.
func TestSourceHungCamera(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		l.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	src, err := NewSource(SourceConfig{URL: "rtsp://" + l.Addr().String() + "/x", ConnectTimeout: time.Second, ReadTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = src.Run(context.Background(), &recorder{})
	d := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "no answer within 1s") {
		t.Errorf("Run against a mute server: %v, want a timeout error", err)
	}
	if d > 2*time.Second {
		t.Errorf("gave up after %v, want about 1 s", d)
	}
}

func TestRedactText(t *testing.T) {
	in := `camera front: describe: dial rtsp://admin:hunter2@10.0.0.5:554/s1 failed; also rtsps://u:p@h/x.`
	got := RedactText(in)
	if strings.Contains(got, "hunter2") || strings.Contains(got, "u:p@") || !strings.Contains(got, "rtsp://admin:xxxxx@10.0.0.5:554/s1") {
		t.Errorf("RedactText = %q", got)
	}
	if got := RedactText("stalled: no video for 5s"); got != "stalled: no video for 5s" {
		t.Errorf("RedactText changed a message without URLs: %q", got)
	}
}
