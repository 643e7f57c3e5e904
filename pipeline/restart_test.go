package pipeline

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/rtsp"
)

// lockedBuffer collects log lines from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPanicRestartsOnlyThatCamera: a panic in one camera's goroutine (and
// then in a grid's compositor), injected while everything runs, is
// recovered, logged with its stack, counted, and costs that camera (grid) a
// restart: the other camera and its reader go on untouched, and after the
// gateway closes no goroutine or file descriptor is left. Before: nothing
// recovered a panic, and it ended the whole process.
func TestPanicRestartsOnlyThatCamera(t *testing.T) {
	fakeA := startFake(t, loadClip(t, "cam1080p25.h264"), false)
	fakeB := startFake(t, loadClip(t, "cam1080p25.h264"), false)
	camTrigger, gridTrigger := make(chan struct{}), make(chan struct{})
	var once sync.Map
	hook := func(ctx context.Context, kind, name, goroutine string) {
		var trigger chan struct{}
		switch {
		case kind == "camera" && name == "a" && goroutine == "meters":
			trigger = camTrigger
		case kind == "grid" && name == "wall":
			trigger = gridTrigger
		default:
			return
		}
		if _, done := once.LoadOrStore(kind+name, true); done {
			return // the restarted one runs normally
		}
		select {
		case <-trigger:
			panic("injected for " + kind + " " + name)
		case <-ctx.Done():
		}
	}
	testHookGoroutine.Store(&hook)
	defer testHookGoroutine.Store(nil)

	before := settledResources(t)
	logs := &lockedBuffer{}
	sub := DefaultSub
	sub.Width, sub.Height, sub.FPS = 160, 96, 5
	cfg := Config{
		RTSP:    rtsp.ServerConfig{Address: "127.0.0.1:0"},
		Cameras: []CameraConfig{{Name: "a", URL: fakeA.URL(), Sub: sub}, {Name: "b", URL: fakeB.URL(), Sub: sub}},
		Grids:   []GridConfig{{Name: "wall", Cameras: []string{"a", "b"}, Output: OutputConfig{Width: 320, Height: 180, FPS: 5}}},
	}
	g, err := StartGateway(cfg, zerolog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	a, b, wall := g.Camera("a"), g.Camera("b"), g.Grid("wall")
	waitState(t, a, StateReady, patience)
	waitState(t, b, StateReady, patience)
	r := newReader(t, g.Server().URL("b/sub"), false)
	r.waitFrames(3, patience)

	close(camTrigger)
	var a2 *Camera
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if a2 = g.Camera("a"); a2 != a && a2 != nil && a2.Stats().State == StateReady {
			break
		}
	}
	if a2 == a || a2 == nil || a2.Stats().State != StateReady {
		t.Fatalf("camera a was not restarted after its panic:\n%s", logs)
	}
	if st := a.Stats(); st.State != StateStopped || !strings.Contains(st.LastError, "internal error in meters") {
		t.Errorf("the old camera a: %v %q", st.State, st.LastError)
	}
	aus, _, _, _ := r.snapshot()
	r.waitFrames(aus+3, patience)
	if g.Camera("b") != b || b.Stats().Reconnects != 0 || total(fakeB) != 1 {
		t.Errorf("camera b was touched: reconnects %d, sessions %d", b.Stats().Reconnects, total(fakeB))
	}

	close(gridTrigger)
	var wall2 *Grid
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if wall2 = g.Grid("wall"); wall2 != wall && wall2 != nil {
			break
		}
	}
	if wall2 == wall || wall2 == nil || wall2.LastError() != "" || g.Hub().Stream("grid/wall") == nil {
		t.Fatalf("grid wall was not restarted after its panic:\n%s", logs)
	}
	cams, grids := g.Panics()
	if cams["a"] != 1 || cams["b"] != 0 || grids["wall"] != 1 {
		t.Errorf("panics counted: cameras %v grids %v", cams, grids)
	}
	l := logs.String()
	for _, want := range []string{"camera panicked: restarting it", "grid panicked: restarting it", "injected for camera a", "restart_test.go", `"goroutine":"meters"`} {
		if !strings.Contains(l, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	r.close()
	g.Close()
	after := settledResources(t)
	if after.FDs > before.FDs || after.Goroutines > before.Goroutines {
		t.Errorf("left behind: fds %d → %d, goroutines %d → %d", before.FDs, after.FDs, before.Goroutines, after.Goroutines)
	}
}

func total(c interface{ Sessions() (int, int) }) int {
	n, _ := c.Sessions()
	return n
}

// TestPanicInSourceCallbackRestartsCamera: a panic in the callback the
// camera's source calls from its reading goroutines is recovered the same
// way.
func TestPanicInSourceCallbackRestartsCamera(t *testing.T) {
	fake := startFake(t, loadClip(t, "cam1080p25.h264"), false)
	g := startGateway(t, CameraConfig{Name: "a", URL: fake.URL()})
	a := g.Camera("a")
	waitState(t, a, StateReady, patience)
	func() {
		defer a.recoverCallback("ingest")
		panic("injected in a callback")
	}()
	var a2 *Camera
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if a2 = g.Camera("a"); a2 != a && a2 != nil && a2.Stats().State == StateReady {
			break
		}
	}
	if a2 == a || a2 == nil || a2.Stats().State != StateReady {
		t.Fatal("camera a was not restarted after a panic in its callback")
	}
	if cams, _ := g.Panics(); cams["a"] != 1 {
		t.Errorf("panics counted: %v", cams)
	}
}
