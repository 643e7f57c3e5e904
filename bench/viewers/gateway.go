package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/internal/procstat"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/transcode"
	"github.com/camgate/camgate/webrtc"
)

// hello is the gateway process's first line: where its servers listen and
// what its streams are configured to carry.
type hello struct {
	PID     int      `json:"pid"`
	RTSP    string   `json:"rtsp"`    // rtsp://host:port/
	WHEP    string   `json:"whep"`    // http://host:port/
	HLS     string   `json:"hls"`     // http://host:port/
	Cameras []string `json:"cameras"` // names; each has <name>/sub
	Grid    string   `json:"grid"`    // grid/<name>
	CamFPS  int      `json:"camera_fps"`
	SubFPS  int      `json:"sub_fps"`
	GridFPS int      `json:"grid_fps"`
	Width   int      `json:"camera_width"`
	Height  int      `json:"camera_height"`
}

// outStats are one output's counters.
type outStats struct {
	Path    string `json:"path"`
	Frames  uint64 `json:"frames"`  // pictures the encoder made
	Drops   uint64 `json:"drops"`   // units the hub's readers of this path lost
	Readers int    `json:"readers"` // hub readers, every protocol
}

// gwStats is the gateway process's answer to "stats".
type gwStats struct {
	FramesIn   uint64     `json:"frames_in"`   // access units from every camera
	QueueDrops uint64     `json:"queue_drops"` // access units cameras dropped because decoding fell behind
	Outputs    []outStats `json:"outputs"`     // every sub, then the grid
	Sessions   int        `json:"webrtc_sessions"`
	Muxers     int        `json:"hls_muxers"`
	Goroutines int        `json:"goroutines"`
	FDs        int        `json:"fds"`
	HeapKB     int        `json:"heap_kb"`
}

// runGateway is the gateway process: n fake cameras playing the demo clip,
// the gateway that pulls them (each with its sub stream, and one grid of
// all), and the WebRTC and LL-HLS listeners. It answers a line "stats" on
// stdin with a line of JSON on stdout, and ends when stdin closes.
func runGateway(n, width, height int) error {
	transcode.LimitMallocArenas(2) // as the camgate binary does
	clip, err := demo.Clip(width, height, 25, 8, 0, 30)
	if err != nil {
		return fmt.Errorf("demo clip: %w", err)
	}
	var names []string
	var cams []pipeline.CameraConfig
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("cam%d", i+1)
		fc, err := fakecam.Start(fakecam.Config{Clip: clip, Path: name})
		if err != nil {
			return err
		}
		defer fc.Close()
		names = append(names, name)
		cams = append(cams, pipeline.CameraConfig{Name: name, URL: fc.URL(), Sub: pipeline.DefaultSub})
	}
	grid := pipeline.GridConfig{Name: "all", Cameras: names, Output: pipeline.DefaultGridOutput}
	gw, err := pipeline.StartGateway(pipeline.Config{RTSP: rtsp.ServerConfig{Address: "127.0.0.1:0"}, Cameras: cams, Grids: []pipeline.GridConfig{grid}}, zerolog.Nop())
	if err != nil {
		return err
	}
	defer gw.Close()
	wrtc, err := webrtc.NewServer(webrtc.Config{Address: "127.0.0.1:0", ICEUDP: "127.0.0.1:0", ICETCP: "127.0.0.1:0", Log: zerolog.Nop()}, gw.Hub())
	if err != nil {
		return err
	}
	defer wrtc.Close()
	hs, err := startHLS(gw.Hub())
	if err != nil {
		return err
	}
	defer hs.Close()

	// Ready once every camera delivers pictures.
	deadline := time.Now().Add(60 * time.Second)
	for {
		ready := 0
		for _, c := range gw.Cameras() {
			if c.Stats().FramesIn > 0 {
				ready++
			}
		}
		if ready == n {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d cameras delivered pictures within 60 s", ready, n)
		}
		time.Sleep(100 * time.Millisecond)
	}

	out := json.NewEncoder(os.Stdout)
	_ = out.Encode(hello{
		PID: os.Getpid(), RTSP: gw.Server().URL(""), WHEP: wrtc.URL(""), HLS: hs.base(),
		Cameras: names, Grid: "grid/all",
		CamFPS: 25, SubFPS: pipeline.DefaultSub.FPS, GridFPS: pipeline.DefaultGridOutput.FPS, Width: width, Height: height,
	})
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if f, ok := strings.CutPrefix(in.Text(), "heap "); ok {
			_ = writeHeapProfile(f)
			_ = out.Encode(struct{}{})
			continue
		}
		if in.Text() != "stats" {
			continue
		}
		var st gwStats
		for _, c := range gw.Cameras() {
			cs := c.Stats()
			st.FramesIn += cs.FramesIn
			st.QueueDrops += cs.QueueDrops
			for _, o := range cs.Outputs {
				st.Outputs = append(st.Outputs, outStats{Path: o.Path, Frames: o.Frames, Drops: o.Drops, Readers: o.Readers})
			}
		}
		for _, g := range gw.Grids() {
			o := g.Stats().Output
			st.Outputs = append(st.Outputs, outStats{Path: o.Path, Frames: o.Frames, Drops: o.Drops, Readers: o.Readers})
		}
		st.Sessions, st.Muxers = wrtc.Sessions(), hs.Muxers()
		p := procstat.Sample()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		st.Goroutines, st.FDs, st.HeapKB = p.Goroutines, p.FDs, int(ms.HeapInuse/1024)
		_ = out.Encode(st)
	}
	return nil
}

// writeHeapProfile writes the gateway process's heap profile, for -heap.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.WriteHeapProfile(f)
}
