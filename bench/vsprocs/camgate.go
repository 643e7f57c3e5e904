package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/bench"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/transcode"
)

// gridLayout is the grid of n cameras: ceil(√n) columns, as camgate lays a
// grid out by default, and each tile's size.
func gridLayout(n int) (cols, rows, tileW, tileH int) {
	cols, rows = pipeline.AutoLayout(n)
	return cols, rows, (gridWidth / cols) &^ 1, (gridHeight / rows) &^ 1
}

// camgateConfig is the gateway of n cameras with their sub streams and the
// grid of all of them.
func camgateConfig(o *options, h *harness) (pipeline.Config, error) {
	n := len(h.Cameras)
	var cams []pipeline.CameraConfig
	var names []string
	for i := 0; i < n; i++ {
		c := pipeline.CameraConfig{Name: fmt.Sprintf("cam%d", i+1), URL: h.Cameras[i], Sub: pipeline.DefaultSub}
		if o.cameraSub {
			if err := setSubURL(&c, h.Subs[i]); err != nil {
				return pipeline.Config{}, err
			}
		}
		cams = append(cams, c)
		names = append(names, c.Name)
	}
	cols, rows, _, _ := gridLayout(n)
	grid := pipeline.GridConfig{Name: "all", Cameras: names, Cols: cols, Rows: rows, Output: pipeline.DefaultGridOutput}
	if o := grid.Output; o.Width != gridWidth || o.Height != gridHeight || o.FPS != gridFPS || pipeline.DefaultSub.FPS != subFPS {
		return pipeline.Config{}, fmt.Errorf("camgate's default outputs changed (grid %dx%d@%d, sub @%d): update vsprocs' constants", o.Width, o.Height, o.FPS, pipeline.DefaultSub.FPS)
	}
	return pipeline.Config{RTSP: rtsp.ServerConfig{Address: "127.0.0.1:0"}, Cameras: cams, Grids: []pipeline.GridConfig{grid}}, nil
}

// measureCamgate runs the gateway in this process, its readers in the
// harness.
func measureCamgate(o *options, n int) (result, error) {
	h, err := startHarness(o, n)
	if err != nil {
		return result{}, err
	}
	defer h.Close()
	cfg, err := camgateConfig(o, h)
	if err != nil {
		return result{}, err
	}
	debug.FreeOSMemory()          // what the previous step left is not this one's
	transcode.ReleaseFreeMemory() // nor libav's pictures it freed
	g, err := pipeline.StartGateway(cfg, zerolog.Nop())
	if err != nil {
		return result{}, err
	}
	defer g.Close()
	if err := h.read(g.Server().Addr().String()); err != nil {
		return result{}, err
	}
	if err := warmUp(o, h); err != nil {
		return result{}, err
	}

	if o.cpuProfile != "" {
		name := o.cpuProfile
		if len(o.steps) > 1 {
			name = fmt.Sprintf("%s-n%d", name, n)
		}
		f, err := os.Create(name)
		if err != nil {
			return result{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return result{}, err
		}
		defer pprof.StopCPUProfile()
	}
	w, err := startWindow(h)
	if err != nil {
		return result{}, err
	}
	drops0 := queueDrops(g)
	cpu0, t0 := bench.ProcessCPUTime(), time.Now()
	time.Sleep(o.duration)
	cpu1, t1 := bench.ProcessCPUTime(), time.Now()
	r := result{procs: 1, cores: (cpu1 - cpu0).Seconds() / t1.Sub(t0).Seconds(), lost: int(queueDrops(g) - drops0)}
	if err := w.end(&r); err != nil {
		return r, err
	}
	_, pss, err := bench.ProcessMemoryKB("self")
	if err != nil {
		return r, err
	}
	r.pssMiB = float64(pss) / 1024
	if st := g.Grid("all").Stats(); st.LiveTiles != n {
		r.problems = append(r.problems, fmt.Sprintf("%d of %d grid tiles live", st.LiveTiles, n))
	}
	return r, nil
}

// queueDrops sums the access units every camera dropped because decoding
// fell behind.
func queueDrops(g *pipeline.Gateway) uint64 {
	var d uint64
	for _, c := range g.Cameras() {
		d += c.Stats().QueueDrops
	}
	return d
}
