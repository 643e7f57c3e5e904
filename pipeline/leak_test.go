package pipeline

import (
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/internal/procstat"
)

type resources = procstat.Stats

func sampleResources(*testing.T) resources { return procstat.Sample() }

// settledResources samples until goroutines that are finishing have finished.
func settledResources(t *testing.T) resources {
	time.Sleep(300 * time.Millisecond)
	best := sampleResources(t)
	for i := 0; i < 5; i++ {
		time.Sleep(100 * time.Millisecond)
		r := sampleResources(t)
		if r.Goroutines < best.Goroutines {
			best = r
		}
	}
	return best
}

// TestReconnectCyclesLeakNothing forces 150 reconnections (50 to warm up), half from
// camgate's side (its stall watchdog ends a session whose camera sends
// nothing) and half from the camera's (it drops the session), with readers
// attached, and checks that file descriptors, goroutines, threads and memory
// come back to where they were.
func TestReconnectCyclesLeakNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("150 reconnect cycles take about 50 s")
	}
	clip, err := demo.Clip(320, 180, 25, 2, 5, 200) // a keyframe every 200 ms
	if err != nil {
		t.Fatal(err)
	}
	cam := startFake(t, clip, true)
	sub := DefaultSub
	sub.Width, sub.Height = 160, 96
	cfg := CameraConfig{Name: "c", URL: cam.URL(), Sub: sub, StallTimeout: 200 * time.Millisecond,
		Backoff: Backoff{Min: 10 * time.Millisecond, Max: 20 * time.Millisecond}}
	g := startGateway(t, cfg)
	c := g.Camera("c")
	waitState(t, c, StateReady, patience)
	r1 := newReader(t, g.Server().URL("c/sub"), false)
	r2 := newReader(t, g.Server().URL("c/main"), false)

	waitFor := func(i int, what string, done func(CameraStats) bool) {
		deadline := time.Now().Add(patience)
		for {
			st := c.Stats()
			if done(st) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("cycle %d: no %s within %v (state %v, last error %q)", i, what, patience, st.State, st.LastError)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	cycle := func(i int) {
		before := c.Stats().Reconnects
		if i%2 == 0 {
			cam.Stall(true)
			waitFor(i, "stall detected", func(st CameraStats) bool { return st.Reconnects > before })
			cam.Stall(false)
		} else {
			cam.Kick()
		}
		waitFor(i, "reconnection", func(st CameraStats) bool { return st.Reconnects > before && st.State == StateReady })
	}
	// Warm-up lets glibc's malloc arenas and Go's heap reach their working size
	// (measured: RSS grows for about 50 cycles, then stays within 1%).
	warmup, cycles := 50, 100
	if n, err := strconv.Atoi(os.Getenv("LEAKCYCLES")); err == nil {
		cycles = n
	}
	for i := 0; i < warmup; i++ {
		cycle(i)
	}
	start := settledResources(t)
	for i := warmup; i < warmup+cycles; i++ {
		cycle(i)
		if os.Getenv("LEAKTRACE") != "" && i%50 == 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			t.Logf("cycle %d: %+v heap %d kB sys %d kB", i, sampleResources(t), ms.HeapInuse/1024, ms.Sys/1024)
		}
	}
	r1.waitFrames(3, patience)
	r2.waitFrames(3, patience)
	end := settledResources(t)
	t.Logf("after warm-up: %+v; after %d more cycles: %+v", start, cycles, end)

	within := func(name string, a, b, tol int) {
		if d := b - a; d > tol || d < -tol {
			t.Errorf("%s: %d → %d after %d reconnect cycles (tolerance ±%d)", name, a, b, cycles, tol)
		}
	}
	within("open file descriptors", start.FDs, end.FDs, 2)
	within("goroutines", start.Goroutines, end.Goroutines, 2)
	within("OS threads", start.Threads, end.Threads, 2)
	if float64(end.RSSKB) > float64(start.RSSKB)*1.10 {
		t.Errorf("RSS grew from %d kB to %d kB (more than 10%%)", start.RSSKB, end.RSSKB)
	}
	if st := c.Stats(); st.Reconnects < uint64(warmup+cycles) {
		t.Errorf("%d reconnects counted, want at least %d", st.Reconnects, warmup+cycles)
	}
	if total, _ := cam.Sessions(); total < warmup+cycles {
		t.Errorf("camera saw %d sessions, want at least %d", total, warmup+cycles)
	}
}
