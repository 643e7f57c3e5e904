package main

import (
	"fmt"
	"io"
	"math/rand"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/rtsp/rtsptest"
)

// config is one soak run.
type config struct {
	Cameras    int
	Duration   time.Duration // whole run, warm-up and cool-down included
	Warmup     time.Duration // faults before the reference sample
	Interval   time.Duration // between two faults
	Seed       int64
	Stall      time.Duration // the cameras' stall_timeout
	BackoffMax time.Duration
	CSV        string // a sample per second, as CSV
	SVG        string // a chart of the samples
}

// Leak tolerances between the sample after warm-up and the sample at the end,
// both taken with every camera recovered and no fault running.
const (
	tolFDs        = 3
	tolGoroutines = 5
	tolThreads    = 2
	tolRSS        = 0.20 // fraction
)

type camState struct {
	fake    *rtsptest.Camera
	cfg     pipeline.CameraConfig
	sub     *reader
	main    *reader
	clips   *[2]rtsptest.Clip
	clipB   bool
	active  *fault // the fault in progress or not yet recovered, if any
	endAt   time.Time
	gapOpen bool
}

type result struct {
	faults            []*fault
	failures          []string
	gaps, gridGaps    int
	backwards         int
	start, warm, end  resources
	subFrames, gridFr uint64
	points            []point
}

func run(cfg config, out io.Writer) (*result, error) {
	rng := rand.New(rand.NewSource(cfg.Seed))
	fmt.Fprintf(out, "soak: %d cameras, %v, a fault every %v, seed %d (repeat with -seed %d)\n", cfg.Cameras, cfg.Duration, cfg.Interval, cfg.Seed, cfg.Seed)

	clipA, err := demo.Clip(320, 180, 25, 2, 10, 40)
	if err != nil {
		return nil, err
	}
	clipB, err := demo.Clip(240, 136, 25, 2, 10, 220)
	if err != nil {
		return nil, err
	}
	clips := [2]rtsptest.Clip{clipA, clipB}
	res := &result{start: sample()}
	cams := make([]*camState, cfg.Cameras)
	var names []string
	var camCfgs []pipeline.CameraConfig
	sub := pipeline.OutputConfig{Enabled: true, Width: 160, Height: 96, FPS: 10}
	sub.Encoder.Preset, sub.Encoder.Bitrate = "ultrafast", 150_000
	for i := range cams {
		fake, err := rtsptest.Start(rtsptest.Config{Clip: clipA, Path: fmt.Sprintf("cam%02d", i+1)})
		if err != nil {
			return nil, err
		}
		defer fake.Close()
		c := pipeline.CameraConfig{
			Name: fmt.Sprintf("cam%02d", i+1), URL: fake.URL(), StallTimeout: cfg.Stall,
			Backoff: pipeline.Backoff{Min: 200 * time.Millisecond, Max: cfg.BackoffMax}, Sub: sub,
		}
		cams[i] = &camState{fake: fake, cfg: c, clips: &clips}
		names = append(names, c.Name)
		camCfgs = append(camCfgs, c)
	}
	grid := pipeline.GridConfig{Name: "all", Cameras: names, Output: pipeline.OutputConfig{Enabled: true, Width: 640, Height: 360, FPS: 10}}
	grid.Output.Encoder.Preset, grid.Output.Encoder.Bitrate = "ultrafast", 600_000
	full := pipeline.Config{RTSP: rtsp.ServerConfig{Address: "127.0.0.1:0"}, Cameras: camCfgs, Grids: []pipeline.GridConfig{grid}}
	gw, err := pipeline.StartGateway(full, zerolog.Nop())
	if err != nil {
		return nil, err
	}
	defer gw.Close()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var readers []*reader
	for _, c := range cams {
		c.sub = &reader{url: gw.Server().URL(c.cfg.Name + "/sub")}
		c.main = &reader{url: gw.Server().URL(c.cfg.Name + "/main")}
		readers = append(readers, c.sub, c.main)
	}
	gridReader := &reader{url: gw.Server().URL("grid/all")}
	readers = append(readers, gridReader)
	for _, r := range readers {
		wg.Add(1)
		go r.run(stop, &wg)
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()

	// Everything up before the first fault.
	if err := waitAll(cams, 30*time.Second); err != nil {
		return nil, err
	}

	var csv io.Writer
	if cfg.CSV != "" {
		f, err := os.Create(cfg.CSV)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		csv = f
		fmt.Fprintln(csv, "seconds,fds,goroutines,threads,rss_kb,heap_kb,faults,sub_frames,grid_frames")
	}

	begin := time.Now()
	bound := cfg.Stall + cfg.BackoffMax + 2*time.Second
	nextFault := begin
	nextSample := begin
	nextProgress := begin.Add(5 * time.Second)
	warmDone := false
	coolFrom := begin.Add(cfg.Duration - 10*time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for now := range tick.C {
		// Ends of faults: remove the cause.
		for _, c := range cams {
			f := c.active
			if f == nil || !f.end.IsZero() || now.Before(c.endAt) {
				continue
			}
			switch f.kind {
			case faultStall:
				c.fake.Stall(false)
			case faultGarbage:
				c.fake.Garbage(false)
			case faultSlow:
				c.fake.Slow(false)
			}
			f.end = now
			f.baseline, _, _ = c.sub.stats()
		}
		// Recoveries: a new picture on the camera's sub stream.
		for _, c := range cams {
			f := c.active
			if f == nil || f.end.IsZero() {
				continue
			}
			if frames, _, _ := c.sub.stats(); frames > f.baseline {
				f.recovery, f.recovered = now.Sub(f.end), true
				c.active = nil
				c.gapOpen = false
				continue
			}
			if now.Sub(f.end) > bound {
				res.failures = append(res.failures, fmt.Sprintf("%s at %v: no picture %v after it ended", f, f.start.Sub(begin).Round(time.Second), bound))
				c.active = nil
			}
		}
		// Gaps: a camera without fault whose pictures stop.
		for _, c := range cams {
			if c.active != nil {
				continue
			}
			if _, last, _ := c.sub.stats(); now.Sub(last) > time.Second && !c.gapOpen {
				c.gapOpen = true
				res.gaps++
			} else if now.Sub(last) <= time.Second {
				c.gapOpen = false
			}
		}
		// New faults, until the warm-up pause and the cool-down.
		quiet := (!warmDone && now.Sub(begin) > cfg.Warmup) || now.After(coolFrom)
		if !quiet && now.After(nextFault) {
			nextFault = now.Add(cfg.Interval)
			inject(rng, cams, gw, full, now, res)
		}
		if !warmDone && now.Sub(begin) > cfg.Warmup && allRecovered(cams) {
			time.Sleep(3 * time.Second)
			res.warm = sample()
			warmDone = true
			fmt.Fprintf(out, "after warm-up: %s\n", fmtRes(res.warm))
		}
		if now.After(nextSample) {
			nextSample = nextSample.Add(time.Second)
			s := sample()
			res.points = append(res.points, point{now.Sub(begin).Seconds(), s})
			if csv != nil {
				var subs uint64
				for _, c := range cams {
					n, _, _ := c.sub.stats()
					subs += n
				}
				g, _, _ := gridReader.stats()
				fmt.Fprintf(csv, "%.0f,%d,%d,%d,%d,%d,%d,%d,%d\n", now.Sub(begin).Seconds(), s.FDs, s.Goroutines, s.Threads, s.RSSKB, s.HeapKB, len(res.faults), subs, g)
			}
		}
		if now.After(nextProgress) {
			nextProgress = nextProgress.Add(5 * time.Second)
			recovered := 0
			for _, f := range res.faults {
				if f.recovered {
					recovered++
				}
			}
			fmt.Fprintf(out, "%4.0fs  faults %4d  recovered %4d  failed %d  %s\n", now.Sub(begin).Seconds(), len(res.faults), recovered, len(res.failures), fmtRes(sample()))
		}
		if now.Sub(begin) > cfg.Duration && allRecovered(cams) {
			break
		}
		if now.Sub(begin) > cfg.Duration+bound+5*time.Second {
			res.failures = append(res.failures, "cameras still not recovered at the end")
			break
		}
	}
	time.Sleep(3 * time.Second)
	res.end = sample()
	for _, r := range readers {
		_, _, b := r.stats()
		res.backwards += b
	}
	for _, c := range cams {
		n, _, _ := c.sub.stats()
		res.subFrames += n
	}
	res.gridFr, _, _ = gridReader.stats()
	if cfg.SVG != "" {
		f, err := os.Create(cfg.SVG)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		title := fmt.Sprintf("camgate soak: %d cameras, %d faults, %v (seed %d)", cfg.Cameras, len(res.faults), cfg.Duration, cfg.Seed)
		if err := writeSVG(f, res.points, title); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func waitAll(cams []*camState, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ok := true
		for _, c := range cams {
			if n, _, _ := c.sub.stats(); n == 0 {
				ok = false
			}
		}
		if ok {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not every camera's sub stream played within %v", timeout)
}

func allRecovered(cams []*camState) bool {
	for _, c := range cams {
		if c.active != nil {
			return false
		}
	}
	return true
}

// inject starts a fault on a camera that has none.
func inject(rng *rand.Rand, cams []*camState, gw *pipeline.Gateway, full pipeline.Config, now time.Time, res *result) {
	free := []int{}
	for i, c := range cams {
		if c.active == nil {
			free = append(free, i)
		}
	}
	if len(free) == 0 {
		return
	}
	i := free[rng.Intn(len(free))]
	c := cams[i]
	kind, d := plan(rng)
	f := &fault{kind: kind, camera: i + 1, start: now}
	switch kind {
	case faultReboot:
		c.fake.Reboot(d)
	case faultStall:
		c.fake.Stall(true)
	case faultGarbage:
		c.fake.Garbage(true)
	case faultSlow:
		c.fake.Slow(true)
	case faultResolution:
		// The camera's size alternates between the two clips, in band.
		c.clipB = !c.clipB
		if c.clipB {
			c.fake.SetClip(c.clips[1])
		} else {
			c.fake.SetClip(c.clips[0])
		}
	case faultReaders:
		c.sub.drop()
		c.main.drop()
	case faultReconfigure:
		without := full
		without.Cameras = nil
		for _, cc := range full.Cameras {
			if cc.Name != c.cfg.Name {
				without.Cameras = append(without.Cameras, cc)
			}
		}
		gw.Apply(without)
		gw.Apply(full)
	}
	c.active, c.endAt = f, now.Add(d)
	res.faults = append(res.faults, f)
}

// report prints the summary and tells whether the run passed.
func report(out io.Writer, cfg config, res *result) bool {
	fmt.Fprintf(out, "\nfaults: %d in %v\n", len(res.faults), cfg.Duration)
	fmt.Fprintf(out, "%-12s %6s %10s %10s %10s\n", "kind", "count", "p50", "p99", "max")
	for k := faultKind(0); k < numFaultKinds; k++ {
		var ds []time.Duration
		for _, f := range res.faults {
			if f.kind == k && f.recovered {
				ds = append(ds, f.recovery)
			}
		}
		if len(ds) == 0 {
			fmt.Fprintf(out, "%-12s %6d\n", k, 0)
			continue
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		q := func(p float64) time.Duration {
			return ds[min(len(ds)-1, int(p*float64(len(ds))))].Round(10 * time.Millisecond)
		}
		fmt.Fprintf(out, "%-12s %6d %10v %10v %10v\n", k, len(ds), q(0.5), q(0.99), ds[len(ds)-1].Round(10*time.Millisecond))
	}
	fmt.Fprintf(out, "resources at start:     %s\n", fmtRes(res.start))
	fmt.Fprintf(out, "resources after warm-up: %s\n", fmtRes(res.warm))
	fmt.Fprintf(out, "resources at the end:   %s\n", fmtRes(res.end))
	g := res.end
	w := res.warm
	fmt.Fprintf(out, "growth after warm-up: fds %+d, goroutines %+d, threads %+d, RSS %+.1f%%\n",
		g.FDs-w.FDs, g.Goroutines-w.Goroutines, g.Threads-w.Threads, 100*float64(g.RSSKB-w.RSSKB)/float64(max(w.RSSKB, 1)))
	fmt.Fprintf(out, "pictures: %d on the sub streams, %d on the grid; pauses over 1 s outside fault windows: %d; timestamps backwards: %d\n",
		res.subFrames, res.gridFr, res.gaps, res.backwards)

	fails := append([]string(nil), res.failures...)
	if d := g.FDs - w.FDs; d > tolFDs {
		fails = append(fails, fmt.Sprintf("open files grew by %d (tolerance %d)", d, tolFDs))
	}
	if d := g.Goroutines - w.Goroutines; d > tolGoroutines {
		fails = append(fails, fmt.Sprintf("goroutines grew by %d (tolerance %d)", d, tolGoroutines))
	}
	if d := g.Threads - w.Threads; d > tolThreads {
		fails = append(fails, fmt.Sprintf("threads grew by %d (tolerance %d)", d, tolThreads))
	}
	if float64(g.RSSKB) > float64(w.RSSKB)*(1+tolRSS) {
		fails = append(fails, fmt.Sprintf("RSS grew from %d to %d kB (tolerance %.0f%%)", w.RSSKB, g.RSSKB, tolRSS*100))
	}
	if res.backwards > 0 {
		fails = append(fails, fmt.Sprintf("%d timestamps went backwards", res.backwards))
	}
	for _, f := range fails {
		fmt.Fprintf(out, "FAIL: %s\n", f)
	}
	if len(fails) == 0 {
		fmt.Fprintln(out, "PASS")
	}
	return len(fails) == 0
}

func fmtRes(r resources) string {
	return fmt.Sprintf("fds %d, goroutines %d, threads %d, RSS %.1f MB, heap %.1f MB", r.FDs, r.Goroutines, r.Threads, float64(r.RSSKB)/1024, float64(r.HeapKB)/1024)
}
