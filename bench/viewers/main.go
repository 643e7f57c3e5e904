// Command viewers measures what viewers cost in camgate: one process runs the
// gateway with its fake cameras (the demo clip, 1280×720 at 25 fps), its
// WebRTC (WHEP) and LL-HLS listeners; this process is the load: RTSP, WebRTC
// and HLS clients. The CPU of each is read from /proc/<pid>/stat, so the
// gateway's is counted apart from the clients'.
//
// Phases, each measured over a window after a warm-up:
//
//  1. idle: cameras pulled, nobody watching (nothing decoded, nothing encoded);
//  2. encoders on: one RTSP reader of every sub and of the grid, so that every
//     encoder runs and what the next phases add is the viewers' cost alone;
//  3. + one WebRTC viewer of every camera's sub;
//  4. + -grid-viewers WebRTC viewers of the grid;
//  5. the WebRTC viewers gone, -hls-clients LL-HLS clients of one sub
//     (blocking playlist reload, every new part fetched).
//
// For each: the gateway's CPU (cores) and RSS, their growth per viewer added,
// the fps every viewer received against the stream's configured rate and the
// rate its encoder produced, the access units the cameras dropped (queue
// drops) and the units slow readers lost (reader drops), and the load
// process's own CPU. It prints markdown tables and, with -json, writes them.
//
//	go run ./bench/viewers -json viewers.json
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/camgate/camgate/rtsp/rtspclient"
	"github.com/camgate/camgate/transcode"
	"github.com/camgate/camgate/webrtc/whepclient"
)

type options struct {
	Cameras     int           `json:"cameras"`
	Width       int           `json:"camera_width"`
	Height      int           `json:"camera_height"`
	GridViewers int           `json:"grid_viewers"`
	HLSClients  int           `json:"hls_clients"`
	Warmup      time.Duration `json:"warmup_ns"`
	Window      time.Duration `json:"window_ns"`
	HLSWindow   time.Duration `json:"hls_window_ns"`
	HeapProfile string        `json:"-"`
}

func main() {
	var o options
	flag.IntVar(&o.Cameras, "cameras", 4, "fake cameras in the gateway's process")
	flag.IntVar(&o.Width, "width", 1280, "the cameras' picture width")
	flag.IntVar(&o.Height, "height", 720, "the cameras' picture height")
	flag.IntVar(&o.GridViewers, "grid-viewers", 100, "WebRTC viewers of the grid")
	flag.IntVar(&o.HLSClients, "hls-clients", 200, "LL-HLS clients of one sub stream")
	flag.DurationVar(&o.Warmup, "warmup", 5*time.Second, "time after a phase's viewers play before its window")
	flag.DurationVar(&o.Window, "window", 10*time.Second, "measurement window of each WebRTC phase")
	flag.DurationVar(&o.HLSWindow, "hls-window", 15*time.Second, "measurement window of the HLS phase")
	jsonOut := flag.String("json", "", "also write the results to this JSON file")
	flag.StringVar(&o.HeapProfile, "heap", "", "write the gateway process's heap profile with every WebRTC viewer playing to this file")
	role := flag.String("role", "", "internal: \"gateway\" runs the gateway process")
	flag.Parse()
	transcode.SetLogHandler(transcode.LogError, nil)
	var err error
	if *role == "gateway" {
		err = runGateway(o.Cameras, o.Width, o.Height)
	} else {
		err = runLoad(o, *jsonOut)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "viewers:", err)
		os.Exit(1)
	}
}

// gateway is the child process and its stats line protocol.
type gateway struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Scanner
	hello hello
}

func startGateway(o options) (*gateway, error) {
	cmd := exec.Command(os.Args[0], "-role", "gateway", "-cameras", strconv.Itoa(o.Cameras),
		"-width", strconv.Itoa(o.Width), "-height", strconv.Itoa(o.Height))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	g := &gateway{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	g.out.Buffer(make([]byte, 1<<20), 1<<20)
	if !g.out.Scan() {
		g.close()
		return nil, fmt.Errorf("the gateway process ended before it was ready")
	}
	if err := json.Unmarshal(g.out.Bytes(), &g.hello); err != nil {
		g.close()
		return nil, fmt.Errorf("gateway process: %q: %w", g.out.Text(), err)
	}
	return g, nil
}

func (g *gateway) stats() (gwStats, error) {
	var s gwStats
	if _, err := io.WriteString(g.in, "stats\n"); err != nil {
		return s, err
	}
	if !g.out.Scan() {
		return s, fmt.Errorf("the gateway process ended")
	}
	return s, json.Unmarshal(g.out.Bytes(), &s)
}

func (g *gateway) close() {
	g.in.Close() // the gateway ends when its stdin closes
	done := make(chan struct{})
	go func() { _ = g.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = g.cmd.Process.Kill()
		<-done
	}
}

// viewer is one WebRTC client and the stream it plays.
type viewer struct {
	c        *whepclient.Client
	group    string // "sub" or "grid"
	path     string
	expected int // the stream's configured fps
}

// group is the fps the viewers of one kind received over a window.
type group struct {
	Name      string  `json:"name"`
	Viewers   int     `json:"viewers"`
	Expected  float64 `json:"expected_fps"` // configured
	Produced  float64 `json:"produced_fps"` // what the encoders made, averaged over the group's streams
	Min       float64 `json:"min_fps"`
	Median    float64 `json:"median_fps"`
	Max       float64 `json:"max_fps"`
	Below90   int     `json:"below_90pct"` // viewers under 90% of the produced rate
	Keyframes uint64  `json:"keyframes"`   // received by the group in the window
}

type phase struct {
	Name          string  `json:"name"`
	WebRTC        int     `json:"webrtc_viewers"`
	RTSP          int     `json:"rtsp_readers"`
	HLS           int     `json:"hls_clients"`
	Added         int     `json:"viewers_added"` // since the phase compared with
	Versus        string  `json:"versus,omitempty"`
	GatewayCores  float64 `json:"gateway_cores"`
	GatewayRSSMB  float64 `json:"gateway_rss_mb"`
	MilliPerView  float64 `json:"gateway_millicores_per_viewer,omitempty"`
	KBPerView     float64 `json:"gateway_rss_kb_per_viewer,omitempty"`
	LoadCores     float64 `json:"load_client_cores"`
	QueueDrops    uint64  `json:"queue_drops"`       // in the window
	ReaderDrops   uint64  `json:"reader_drops"`      // in the window
	RampDrops     uint64  `json:"reader_drops_ramp"` // while the phase's viewers joined and warmed up
	Goroutines    int     `json:"gateway_goroutines"`
	FDs           int     `json:"gateway_fds"`
	HeapMB        float64 `json:"gateway_heap_mb"`
	Sessions      int     `json:"webrtc_sessions"`
	DialFailures  int     `json:"dial_failures,omitempty"`
	Groups        []group `json:"viewers,omitempty"`
	HLSReqPerSec  float64 `json:"hls_requests_per_s,omitempty"`
	HLSPartsPerCl float64 `json:"hls_parts_per_s_per_client,omitempty"`
	HLSMBPerSec   float64 `json:"hls_mb_per_s,omitempty"`
	HLSErrors     uint64  `json:"hls_errors,omitempty"`
	HLSTimeouts   uint64  `json:"hls_timeouts,omitempty"`
	HLSPath       string  `json:"hls_path,omitempty"`
	seconds       float64
}

type results struct {
	Options options `json:"options"`
	CPUs    int     `json:"cpus"`
	Started string  `json:"started"`
	Phases  []phase `json:"phases"`
}

type load struct {
	o       options
	g       *gateway
	rtsp    []*rtspclient.Player
	viewers []*viewer
	hls     hlsCounters
	res     results
}

func runLoad(o options, jsonOut string) error {
	l := &load{o: o, res: results{Options: o, CPUs: numCPU(), Started: time.Now().Format(time.RFC3339)}}
	fmt.Printf("viewers: starting the gateway process: %d fake cameras %dx%d@25 (demo clip), each with a sub 640x360@10, one grid 1280x720@15 of all\n", o.Cameras, o.Width, o.Height)
	g, err := startGateway(o)
	if err != nil {
		return err
	}
	l.g = g
	defer g.close()
	defer l.closeViewers()
	defer func() {
		for _, p := range l.rtsp {
			p.Close()
		}
	}()
	h := g.hello
	fmt.Printf("gateway pid %d, load pid %d, %d CPUs\n", h.PID, os.Getpid(), l.res.CPUs)

	// 1. idle
	idle, err := l.measure("idle: cameras pulled, nobody watching", nil, o.Warmup/2, o.Window)
	if err != nil {
		return err
	}
	// 2. encoders on
	s0 := l.mustStats()
	for _, p := range append(l.subPaths(), h.Grid) {
		pl, err := rtspclient.Play(rtspclient.Config{URL: h.RTSP + p, Retry: 10 * time.Second})
		if err != nil {
			return err
		}
		l.rtsp = append(l.rtsp, pl)
	}
	enc, err := l.measureSince("encoders on: 1 RTSP reader per sub and grid", &idle, o.Warmup, o.Window, s0, nil)
	if err != nil {
		return err
	}
	// 3. a WebRTC viewer of every sub
	s0 = l.mustStats()
	fails := l.dial(l.subPaths(), "sub", h.SubFPS, 1)
	sub, err := l.measureSince(fmt.Sprintf("+1 WebRTC viewer per sub (%d)", len(h.Cameras)), &enc, o.Warmup, o.Window, s0, nil)
	if err != nil {
		return err
	}
	sub.DialFailures = fails
	l.res.Phases[len(l.res.Phases)-1] = sub
	// 4. the grid's viewers
	s0 = l.mustStats()
	fails = l.dial([]string{h.Grid}, "grid", h.GridFPS, o.GridViewers)
	grid, err := l.measureSince(fmt.Sprintf("+%d WebRTC viewers of %s", o.GridViewers, h.Grid), &sub, o.Warmup, o.Window, s0, nil)
	if err != nil {
		return err
	}
	grid.DialFailures = fails
	l.res.Phases[len(l.res.Phases)-1] = grid
	if o.HeapProfile != "" {
		abs, _ := filepath.Abs(o.HeapProfile)
		if _, err := io.WriteString(g.in, "heap "+abs+"\n"); err != nil || !g.out.Scan() {
			return fmt.Errorf("heap profile: the gateway process ended")
		}
	}
	// 5. HLS
	l.closeViewers()
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if s, err := l.g.stats(); err == nil && s.Sessions == 0 {
			break
		}
	}
	if o.HLSClients > 0 && h.HLS != "" {
		if _, err := l.hlsPhase(&enc); err != nil {
			return err
		}
	}

	l.print(os.Stdout)
	if jsonOut != "" {
		b, _ := json.MarshalIndent(l.res, "", "  ")
		if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (l *load) subPaths() []string {
	var ps []string
	for _, c := range l.g.hello.Cameras {
		ps = append(ps, c+"/sub")
	}
	return ps
}

func (l *load) mustStats() gwStats {
	s, _ := l.g.stats()
	return s
}

// dial adds n WebRTC viewers of each path, a few at a time, and waits until
// every one has received a picture. It returns how many could not play.
func (l *load) dial(paths []string, name string, fps, n int) (failures int) {
	type job struct{ path string }
	jobs := make(chan job)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				var c *whepclient.Client
				var err error
				for try := 0; try < 3; try++ {
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					c, err = whepclient.Dial(ctx, l.g.hello.WHEP+j.path+"/whep", whepclient.Options{})
					cancel()
					if err == nil {
						break
					}
					time.Sleep(500 * time.Millisecond)
				}
				mu.Lock()
				if err != nil {
					failures++
					fmt.Fprintf(os.Stderr, "viewers: WHEP %s: %v\n", j.path, err)
				} else {
					l.viewers = append(l.viewers, &viewer{c: c, group: name, path: j.path, expected: fps})
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		for _, p := range paths {
			jobs <- job{p}
		}
	}
	close(jobs)
	wg.Wait()
	// Every viewer playing before the warm-up.
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		waiting := 0
		for _, v := range l.viewers {
			if v.c.Stats().Frames == 0 {
				waiting++
			}
		}
		if waiting == 0 {
			break
		}
	}
	return failures
}

func (l *load) closeViewers() {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, v := range l.viewers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			_ = v.c.Close()
			<-sem
		}()
	}
	wg.Wait()
	l.viewers = nil
}

func (l *load) measure(name string, versus *phase, warmup, window time.Duration) (phase, error) {
	return l.measureSince(name, versus, warmup, window, l.mustStats(), nil)
}

// measureSince waits warmup, then measures a window; ramp drops count from
// rampStats, taken when the phase's viewers started joining.
func (l *load) measureSince(name string, versus *phase, warmup, window time.Duration, rampStats gwStats, atStart func()) (phase, error) {
	time.Sleep(warmup)
	if atStart != nil {
		atStart()
	}
	pid := l.g.hello.PID
	s0, err := l.g.stats()
	if err != nil {
		return phase{}, err
	}
	frames0 := make([]whepclient.Stats, len(l.viewers))
	for i, v := range l.viewers {
		frames0[i] = v.c.Stats()
	}
	gc0, _ := cpuTime(pid)
	lc0, _ := cpuTime(0)
	t0 := time.Now()
	time.Sleep(window)
	gc1, _ := cpuTime(pid)
	lc1, _ := cpuTime(0)
	secs := time.Since(t0).Seconds()
	frames1 := make([]whepclient.Stats, len(l.viewers))
	for i, v := range l.viewers {
		frames1[i] = v.c.Stats()
	}
	s1, err := l.g.stats()
	if err != nil {
		return phase{}, err
	}
	p := phase{
		Name: name, WebRTC: len(l.viewers), RTSP: len(l.rtsp), seconds: secs,
		GatewayCores: (gc1 - gc0).Seconds() / secs, GatewayRSSMB: float64(rssKB(pid)) / 1024,
		LoadCores:  (lc1 - lc0).Seconds() / secs,
		QueueDrops: s1.QueueDrops - s0.QueueDrops, ReaderDrops: drops(s1) - drops(s0), RampDrops: drops(s0) - drops(rampStats),
		Goroutines: s1.Goroutines, FDs: s1.FDs, HeapMB: float64(s1.HeapKB) / 1024, Sessions: s1.Sessions,
	}
	produced := map[string]float64{}
	for i, o := range s1.Outputs {
		if i < len(s0.Outputs) && s0.Outputs[i].Path == o.Path {
			produced[o.Path] = float64(o.Frames-s0.Outputs[i].Frames) / secs
		}
	}
	p.Groups = groups(l.viewers, frames0, frames1, secs, produced)
	l.compare(&p, versus)
	l.res.Phases = append(l.res.Phases, p)
	fmt.Printf("  measured %-48s gateway %.2f cores, %.0f MB; load %.2f cores\n", name, p.GatewayCores, p.GatewayRSSMB, p.LoadCores)
	return p, nil
}

// compare sets the growth per viewer since versus.
func (l *load) compare(p *phase, versus *phase) {
	if versus == nil {
		return
	}
	p.Versus = versus.Name
	p.Added = (p.WebRTC + p.HLS + p.RTSP) - (versus.WebRTC + versus.HLS + versus.RTSP)
	if p.Added > 0 {
		p.MilliPerView = 1000 * (p.GatewayCores - versus.GatewayCores) / float64(p.Added)
		p.KBPerView = 1024 * (p.GatewayRSSMB - versus.GatewayRSSMB) / float64(p.Added)
	}
}

func drops(s gwStats) uint64 {
	var n uint64
	for _, o := range s.Outputs {
		n += o.Drops
	}
	return n
}

func groups(vs []*viewer, f0, f1 []whepclient.Stats, secs float64, produced map[string]float64) []group {
	by := map[string][]int{}
	var names []string
	for i, v := range vs {
		if _, ok := by[v.group]; !ok {
			names = append(names, v.group)
		}
		by[v.group] = append(by[v.group], i)
	}
	var gs []group
	for _, name := range names {
		idx := by[name]
		g := group{Name: name, Viewers: len(idx), Expected: float64(vs[idx[0]].expected)}
		var fps []float64
		paths := map[string]bool{}
		for _, i := range idx {
			f := float64(f1[i].Frames-f0[i].Frames) / secs
			fps = append(fps, f)
			g.Keyframes += f1[i].Keyframes - f0[i].Keyframes
			if !paths[vs[i].path] {
				paths[vs[i].path] = true
				g.Produced += produced[vs[i].path]
			}
			if f < 0.9*produced[vs[i].path] {
				g.Below90++
			}
		}
		g.Produced /= float64(len(paths))
		sort.Float64s(fps)
		g.Min, g.Median, g.Max = fps[0], fps[len(fps)/2], fps[len(fps)-1]
		gs = append(gs, g)
	}
	return gs
}

// hlsPhase runs the HLS clients of the first camera's sub.
func (l *load) hlsPhase(versus *phase) (phase, error) {
	path := l.g.hello.Cameras[0] + "/sub"
	index := l.g.hello.HLS + path + "/index.m3u8"
	tr := &http.Transport{MaxIdleConns: 2 * l.o.HLSClients, MaxIdleConnsPerHost: 2 * l.o.HLSClients, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	s0 := l.mustStats()
	for i := 0; i < l.o.HLSClients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hlsClient(ctx, hc, index, &l.hls)
		}()
		time.Sleep(10 * time.Millisecond) // a 2 s ramp, not 200 requests at once
	}
	var req0, parts0, bytes0 uint64
	p, err := l.measureSince(fmt.Sprintf("%d LL-HLS clients of %s (WebRTC viewers gone)", l.o.HLSClients, path), nil, l.o.Warmup, l.o.HLSWindow, s0, func() {
		req0, parts0, bytes0 = l.hls.Requests.Load(), l.hls.Parts.Load(), l.hls.Bytes.Load()
	})
	if err != nil {
		return p, err
	}
	p.HLS, p.HLSPath = l.o.HLSClients, path
	p.HLSReqPerSec = float64(l.hls.Requests.Load()-req0) / p.seconds
	p.HLSPartsPerCl = float64(l.hls.Parts.Load()-parts0) / p.seconds / float64(l.o.HLSClients)
	p.HLSMBPerSec = float64(l.hls.Bytes.Load()-bytes0) / p.seconds / 1e6
	p.HLSErrors, p.HLSTimeouts = l.hls.Errors.Load(), l.hls.Timeouts.Load() // over the whole phase, ramp included
	l.compare(&p, versus)
	l.res.Phases[len(l.res.Phases)-1] = p
	return p, nil
}

func (l *load) print(w io.Writer) {
	h := l.g.hello
	fmt.Fprintf(w, "\n%d CPUs; gateway process: %d fake cameras %dx%d@%d + gateway (sub 640x360@%d each, grid %s 1280x720@%d) + WebRTC + LL-HLS listeners; load process: every client.\n\n",
		l.res.CPUs, len(h.Cameras), h.Width, h.Height, h.CamFPS, h.SubFPS, h.Grid, h.GridFPS)
	fmt.Fprintln(w, "| phase | WebRTC viewers | gateway CPU (cores) | Δ CPU / viewer (mcores) | gateway RSS (MB) | Δ RSS / viewer (KB) | load client CPU (cores) | received fps min / median / max (produced, configured) | viewers < 90% | queue drops | reader drops (window / ramp) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, p := range l.res.Phases {
		if p.HLS > 0 {
			continue
		}
		per, kb := "–", "–"
		if p.Added > 0 {
			per, kb = fmt.Sprintf("%.1f", p.MilliPerView), fmt.Sprintf("%.0f", p.KBPerView)
		}
		var fps, below []string
		for _, g := range p.Groups {
			fps = append(fps, fmt.Sprintf("%s: %.1f / %.1f / %.1f (%.1f, %.0f)", g.Name, g.Min, g.Median, g.Max, g.Produced, g.Expected))
			below = append(below, fmt.Sprintf("%s %d/%d", g.Name, g.Below90, g.Viewers))
		}
		if len(fps) == 0 {
			fps, below = []string{"–"}, []string{"–"}
		}
		fmt.Fprintf(w, "| %s | %d | %.2f | %s | %.0f | %s | %.2f | %s | %s | %d | %d / %d |\n",
			p.Name, p.WebRTC, p.GatewayCores, per, p.GatewayRSSMB, kb, p.LoadCores, strings.Join(fps, "; "), strings.Join(below, ", "), p.QueueDrops, p.ReaderDrops, p.RampDrops)
	}
	for _, p := range l.res.Phases {
		if p.HLS == 0 {
			continue
		}
		fmt.Fprintln(w, "\n| LL-HLS phase | gateway CPU (cores) | Δ CPU / client (mcores) | gateway RSS (MB) | Δ RSS / client (KB) | load client CPU (cores) | requests/s | parts/s per client (expected 1/part target) | MB/s | errors | blocking reloads timed out | queue drops | reader drops |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")
		fmt.Fprintf(w, "| %s | %.2f | %.1f | %.0f | %.0f | %.2f | %.0f | %.2f | %.2f | %d | %d | %d | %d |\n",
			p.Name, p.GatewayCores, p.MilliPerView, p.GatewayRSSMB, p.KBPerView, p.LoadCores, p.HLSReqPerSec, p.HLSPartsPerCl, p.HLSMBPerSec, p.HLSErrors, p.HLSTimeouts, p.QueueDrops, p.ReaderDrops)
	}
	fmt.Fprintln(w, "\nΔ per viewer: against the phase before (the HLS phase against \"encoders on\"). Drops: queue = access units cameras dropped because decoding fell behind; reader = units the hub's readers lost for being slow (they skip to the next keyframe).")
}
