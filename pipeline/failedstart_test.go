package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/stream"
)

// TestCameraThatCannotStartRunsFailed: a valid camera that cannot start
// (here its path is already published, which validation cannot know) does
// not stop the others: it is kept in the failed state with the error, and
// starts on a later try once the cause is gone. Before: Apply left it out
// entirely, and StartGateway ended with an error, so a saved configuration
// could stop the next start (a crash loop under Restart=always).
func TestCameraThatCannotStartRunsFailed(t *testing.T) {
	saved := startRetry
	startRetry = 300 * time.Millisecond
	defer func() { startRetry = saved }()
	fake := startFake(t, loadClip(t, "cam1080p25.h264"), false)
	sub := DefaultSub
	sub.Width, sub.Height, sub.FPS = 160, 96, 5
	good := CameraConfig{Name: "good", URL: fake.URL(), Sub: sub}
	g := startGateway(t, good)
	squatter, err := g.Hub().Publish("bad/sub", stream.PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := CameraConfig{Name: "bad", URL: fake.URL(), Sub: sub}
	_, err = g.Apply(Config{RTSP: rtsp.ServerConfig{Address: "127.0.0.1:0"}, Cameras: []CameraConfig{good, bad}})
	if err == nil || !strings.Contains(err.Error(), "bad/sub") {
		t.Errorf("Apply: %v, want the start failure", err)
	}
	c := g.Camera("bad")
	if c == nil {
		t.Fatal("the camera that cannot start is not there")
	}
	if st := c.Stats(); st.State != StateFailed || !strings.Contains(st.LastError, "bad/sub") {
		t.Errorf("bad: state %v, last error %q", st.State, st.LastError)
	}
	waitState(t, g.Camera("good"), StateReady, patience)
	// The cause goes away: a later try starts it.
	squatter.Close()
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		if c := g.Camera("bad"); c != nil && c.Stats().State == StateReady {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := g.Camera("bad").Stats(); st.State != StateReady {
		t.Errorf("bad did not start once its path was free: %v %q", st.State, st.LastError)
	}
}
