package main

import (
	"fmt"
	"io"
	"math/rand"
	"os"
	"sort"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/internal/viewers"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/webrtc"
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
	tolThreads    = 2    // threads outside Go's runtime: libav's, x264's
	tolGoThreads  = 8    // Go's own threads, a high-water mark (see checkGrowth)
	tolRSS        = 0.20 // fraction
)

// The WebRTC readers' limits: generous, so that a loaded machine never
// fails them; a stream that does not resume fails them whatever the load.
const (
	webrtcSubs      = 2                // cameras whose sub is also played over WebRTC (the first ones)
	webrtcResume    = 30 * time.Second // a fault's end to the next picture on its WebRTC sub
	webrtcGridPause = 30 * time.Second // the longest the WebRTC grid may go without a picture
	webrtcSettle    = 60 * time.Second // to play at the start, and to settle before a resource sample
	sessionTimeout  = 5 * time.Second  // the WebRTC server's: abandoned sessions go after about twice this
)

type camState struct {
	fake    *fakecam.Camera
	cfg     pipeline.CameraConfig
	sub     reader
	main    reader
	wsub    *wreader // its sub over WebRTC, for the first webrtcSubs cameras
	wdrops  int
	clips   *[2]fakecam.Clip
	clipB   bool
	active  *fault // the fault in progress or not yet recovered, if any
	endAt   time.Time
	gapOpen bool

	listens    chan time.Time // from fakecam's OnListen
	lastListen time.Time      // when its port last started listening
	flapping   bool           // the flapping fault has it (flap.go)
}

type result struct {
	faults            []*fault
	failures          []string
	gaps, gridGaps    int
	backwards         int
	start, warm, end  resources
	subFrames, gridFr uint64
	points            []point

	wreaders      []*wreader      // the WebRTC grid, then the WebRTC subs
	wrecoveries   []time.Duration // a fault's end to the next picture on a WebRTC sub
	wgridPauses   int             // WebRTC grid pauses over webrtcGridPause
	wsessionsWarm int             // WebRTC sessions open at the warm and end samples
	wsessionsEnd  int

	badReader   *badReader // the intruder, and the auth it met
	auth        *viewers.Auth
	reboots     []time.Duration // every reboot's port open to the next sub picture
	flapReboots int             // of which while flapping
	edits       string          // the edits fault's summary
}

// run starts the cameras, the gateway and a reader of every output, injects
// faults until cfg.Duration is over and every camera has recovered, and
// returns what it measured.
func run(cfg config, out io.Writer) (*result, error) {
	rng := rand.New(rand.NewSource(cfg.Seed))
	fmt.Fprintf(out, "soak: %d cameras, %v, a fault every %v, seed %d (repeat with -seed %d)\n", cfg.Cameras, cfg.Duration, cfg.Interval, cfg.Seed, cfg.Seed)

	clips, err := makeClips()
	if err != nil {
		return nil, err
	}
	res := &result{start: sample()}
	cams, err := startCameras(cfg, &clips)
	if err != nil {
		return nil, err
	}
	defer closeCameras(cams)
	gw, full, err := startGateway(cams)
	if err != nil {
		return nil, err
	}
	defer gw.Close()
	edits, err := startEditor(cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("edits: %w", err)
	}
	defer edits.close()
	readers, gridReader, err := startReaders(cams, gw)
	defer closeReaders(readers)
	if err != nil {
		return nil, err
	}
	wrtc, err := webrtc.NewServer(webrtc.Config{
		Address: "127.0.0.1:0", ICEUDP: "127.0.0.1:0", ICETCP: "127.0.0.1:0",
		SessionTimeout: sessionTimeout, Log: zerolog.Nop(), Auth: gw.Server().Auth(),
	}, gw.Hub())
	if err != nil {
		return nil, err
	}
	defer wrtc.Close()
	res.wreaders = startWReaders(cams, wrtc)
	defer closeWReaders(res.wreaders)

	// Everything up before the first fault.
	if err := waitAll(cams, 30*time.Second); err != nil {
		return nil, err
	}
	if err := waitWReaders(res.wreaders, nil, webrtcSettle); err != nil {
		return nil, err
	}
	s := &soak{cfg: cfg, out: out, rng: rng, cams: cams, gw: gw, full: full, gridReader: gridReader, res: res, wrtc: wrtc, edits: edits}
	if cfg.CSV != "" {
		csv, err := createCSV(cfg.CSV)
		if err != nil {
			return nil, err
		}
		defer csv.Close()
		s.csv = csv
	}
	// An intruder guesses passwords the whole run (badreader.go).
	bad := startBadReader(gw.Server().Addr())
	s.injectUntilDone()
	bad.close()
	res.badReader = bad
	res.auth = gw.Server().Auth()
	res.failures = append(res.failures, edits.finish()...)
	res.edits = edits.summary()

	time.Sleep(3 * time.Second)
	// Every WebRTC reader plays again, and the sessions abandoned by the
	// last faults are reaped, before the last sample.
	if err := s.settleWebRTC(); err != nil {
		res.failures = append(res.failures, "at the end: "+err.Error())
	}
	res.end = sample()
	res.wsessionsEnd = wrtc.Sessions()
	totals(res, cams, readers, gridReader)
	if cfg.SVG != "" {
		if err := drawChart(cfg, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// makeClips renders the two clips the cameras switch between: the second
// one is smaller, for the resolution faults.
func makeClips() ([2]fakecam.Clip, error) {
	clipA, err := demo.Clip(320, 180, 25, 2, 10, 40)
	if err != nil {
		return [2]fakecam.Clip{}, err
	}
	clipB, err := demo.Clip(240, 136, 25, 2, 10, 220)
	if err != nil {
		return [2]fakecam.Clip{}, err
	}
	return [2]fakecam.Clip{clipA, clipB}, nil
}

// startCameras starts cfg.Cameras fake cameras playing the first clip, each
// with the configuration that pulls it.
func startCameras(cfg config, clips *[2]fakecam.Clip) ([]*camState, error) {
	sub := pipeline.OutputConfig{Enabled: true, Width: 160, Height: 96, FPS: 10}
	sub.Encoder.Preset, sub.Encoder.Bitrate = "ultrafast", 150_000
	var cams []*camState
	for i := 0; i < cfg.Cameras; i++ {
		listens := make(chan time.Time, 16)
		onListen := func(at time.Time) {
			select {
			case listens <- at:
			default:
			}
		}
		fake, err := fakecam.Start(fakecam.Config{Clip: clips[0], Path: fmt.Sprintf("cam%02d", i+1), OnListen: onListen})
		if err != nil {
			closeCameras(cams)
			return nil, err
		}
		c := pipeline.CameraConfig{
			Name: fmt.Sprintf("cam%02d", i+1), URL: fake.URL(), StallTimeout: cfg.Stall,
			Backoff: pipeline.Backoff{Min: 200 * time.Millisecond, Max: cfg.BackoffMax}, Sub: sub,
		}
		cams = append(cams, &camState{fake: fake, cfg: c, clips: clips, listens: listens})
	}
	return cams, nil
}

func closeCameras(cams []*camState) {
	for i := len(cams) - 1; i >= 0; i-- {
		cams[i].fake.Close()
	}
}

// startGateway starts a gateway that pulls every camera and has a grid of
// all of them; full is its configuration, which reconfiguration faults
// apply again.
func startGateway(cams []*camState) (gw *pipeline.Gateway, full pipeline.Config, err error) {
	var names []string
	var camCfgs []pipeline.CameraConfig
	for _, c := range cams {
		names = append(names, c.cfg.Name)
		camCfgs = append(camCfgs, c.cfg)
	}
	grid := pipeline.GridConfig{Name: "all", Cameras: names, Output: pipeline.OutputConfig{Enabled: true, Width: 640, Height: 360, FPS: 10}}
	grid.Output.Encoder.Preset, grid.Output.Encoder.Bitrate = "ultrafast", 600_000
	full = pipeline.Config{RTSP: rtsp.ServerConfig{Address: "127.0.0.1:0"}, Cameras: camCfgs, Grids: []pipeline.GridConfig{grid}}
	gw, err = pipeline.StartGateway(full, zerolog.Nop())
	return gw, full, err
}

// startReaders plays every camera's sub and main stream and the grid, for
// the whole soak. The grid's reader is the last of readers.
func startReaders(cams []*camState, gw *pipeline.Gateway) (readers []reader, grid reader, err error) {
	start := func(path string) (reader, error) {
		r, err := startReader(gw.Server().URL(path))
		if err == nil {
			readers = append(readers, r)
		}
		return r, err
	}
	for _, c := range cams {
		if c.sub, err = start(c.cfg.Name + "/sub"); err != nil {
			return readers, grid, err
		}
		if c.main, err = start(c.cfg.Name + "/main"); err != nil {
			return readers, grid, err
		}
	}
	grid, err = start("grid/all")
	return readers, grid, err
}

func closeReaders(readers []reader) {
	for _, r := range readers {
		r.Close()
	}
}

// createCSV creates the CSV file of samples, with its header.
func createCSV(path string) (*os.File, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(f, "seconds,fds,goroutines,threads,rss_kb,heap_kb,faults,sub_frames,grid_frames")
	return f, nil
}

// soak is the state of the fault loop.
type soak struct {
	cfg        config
	out        io.Writer
	csv        io.Writer // nil: no CSV
	rng        *rand.Rand
	cams       []*camState
	gw         *pipeline.Gateway
	full       pipeline.Config
	gridReader reader
	res        *result
	wrtc       *webrtc.Server
	edits      *editor
	wpending   []wpending
	wgridOpen  bool

	begin        time.Time
	bound        time.Duration // a fault's cause removed, its camera must show a picture within this
	nextFault    time.Time
	nextSample   time.Time
	nextProgress time.Time
	warmDone     bool
	coolFrom     time.Time // no new faults from here on
	flap         *flap     // the flapping in progress (flap.go)
	lastFlap     time.Time
}

// injectUntilDone runs the fault loop, every 50 ms, until the run is over
// and every camera has recovered, or the cameras failed to.
func (s *soak) injectUntilDone() {
	s.begin = time.Now()
	s.bound = s.cfg.Stall + s.cfg.BackoffMax + 2*time.Second
	s.nextFault = s.begin
	s.nextSample = s.begin
	s.nextProgress = s.begin.Add(5 * time.Second)
	s.coolFrom = s.begin.Add(s.cfg.Duration - 10*time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for now := range tick.C {
		s.noteListens()
		s.endFaults(now)
		s.checkRecoveries(now)
		s.maybeFlap(now)
		s.countGaps(now)
		s.checkWebRTC(now)
		s.maybeInject(now)
		s.maybeSampleWarm(now)
		s.maybeSample(now)
		s.maybeProgress(now)
		if s.over(now) {
			return
		}
	}
}

// endFaults removes the cause of the faults whose time is up.
func (s *soak) endFaults(now time.Time) {
	for _, c := range s.cams {
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
		if c.wsub != nil {
			f.wbaseline, _ = c.wsub.stats()
		}
	}
}

// checkRecoveries ends the faults whose camera shows a new picture on its sub
// stream, and fails those that take longer than s.bound.
func (s *soak) checkRecoveries(now time.Time) {
	for _, c := range s.cams {
		f := c.active
		if f == nil || f.end.IsZero() {
			continue
		}
		if frames, _, _ := c.sub.stats(); frames > f.baseline {
			f.recovery, f.recovered = now.Sub(f.end), true
			if f.kind == faultReboot {
				s.rebootRecovered(c, f)
			}
			if c.wsub != nil {
				s.wpending = append(s.wpending, wpending{r: c.wsub, f: f})
			}
			c.active = nil
			c.gapOpen = false
			continue
		}
		if now.Sub(f.end) > s.bound {
			s.res.failures = append(s.res.failures, fmt.Sprintf("%s at %v: no picture %v after it ended", f, f.start.Sub(s.begin).Round(time.Second), s.bound))
			c.active = nil
		}
	}
}

// countGaps counts the cameras without a fault whose pictures stop for over
// a second.
func (s *soak) countGaps(now time.Time) {
	for _, c := range s.cams {
		if c.active != nil || c.flapping {
			continue
		}
		if _, last, _ := c.sub.stats(); now.Sub(last) > time.Second && !c.gapOpen {
			c.gapOpen = true
			s.res.gaps++
		} else if now.Sub(last) <= time.Second {
			c.gapOpen = false
		}
	}
}

// maybeInject starts a fault every interval, except in the pause after the
// warm-up and in the cool-down.
func (s *soak) maybeInject(now time.Time) {
	quiet := (!s.warmDone && now.Sub(s.begin) > s.cfg.Warmup) || now.After(s.coolFrom)
	if !quiet && now.After(s.nextFault) {
		s.nextFault = now.Add(s.cfg.Interval)
		inject(s.rng, s.cams, s.gw, s.full, now, s.res)
	}
}

// maybeSampleWarm takes the reference sample of resources once the warm-up
// is over and every camera has recovered.
func (s *soak) maybeSampleWarm(now time.Time) {
	if !s.warmDone && now.Sub(s.begin) > s.cfg.Warmup && allRecovered(s.cams) {
		s.edits.pause() // no camera of the edits fault in the middle of a restart
		time.Sleep(3 * time.Second)
		if err := s.settleWebRTC(); err != nil {
			s.res.failures = append(s.res.failures, "after warm-up: "+err.Error())
		}
		s.res.warm = sample()
		s.edits.resume()
		s.res.wsessionsWarm = s.wrtc.Sessions()
		s.warmDone = true
		fmt.Fprintf(s.out, "after warm-up: %s\n", fmtRes(s.res.warm))
	}
}

// maybeSample samples the resources every second, for the chart and the CSV.
func (s *soak) maybeSample(now time.Time) {
	if !now.After(s.nextSample) {
		return
	}
	s.nextSample = s.nextSample.Add(time.Second)
	smp := sample()
	s.res.points = append(s.res.points, point{now.Sub(s.begin).Seconds(), smp})
	if s.csv != nil {
		var subs uint64
		for _, c := range s.cams {
			n, _, _ := c.sub.stats()
			subs += n
		}
		g, _, _ := s.gridReader.stats()
		fmt.Fprintf(s.csv, "%.0f,%d,%d,%d,%d,%d,%d,%d,%d\n", now.Sub(s.begin).Seconds(), smp.FDs, smp.Goroutines, smp.Threads, smp.RSSKB, smp.HeapKB, len(s.res.faults), subs, g)
	}
}

// maybeProgress prints a line every 5 s.
func (s *soak) maybeProgress(now time.Time) {
	if !now.After(s.nextProgress) {
		return
	}
	s.nextProgress = s.nextProgress.Add(5 * time.Second)
	recovered := 0
	for _, f := range s.res.faults {
		if f.recovered {
			recovered++
		}
	}
	fmt.Fprintf(s.out, "%4.0fs  faults %4d  recovered %4d  failed %d  %s\n", now.Sub(s.begin).Seconds(), len(s.res.faults), recovered, len(s.res.failures), fmtRes(sample()))
}

// over tells whether the run is over: its duration passed and every camera
// recovered, or some did not recover in time.
func (s *soak) over(now time.Time) bool {
	if now.Sub(s.begin) > s.cfg.Duration && allRecovered(s.cams) {
		return true
	}
	if now.Sub(s.begin) > s.cfg.Duration+s.bound+5*time.Second {
		s.res.failures = append(s.res.failures, "cameras still not recovered at the end")
		return true
	}
	return false
}

// totals adds up what the readers saw.
func totals(res *result, cams []*camState, readers []reader, gridReader reader) {
	for _, r := range readers {
		_, _, b := r.stats()
		res.backwards += b
	}
	for _, c := range cams {
		n, _, _ := c.sub.stats()
		res.subFrames += n
	}
	res.gridFr, _, _ = gridReader.stats()
}

// drawChart writes the chart of the samples to cfg.SVG.
func drawChart(cfg config, res *result) error {
	f, err := os.Create(cfg.SVG)
	if err != nil {
		return err
	}
	defer f.Close()
	title := fmt.Sprintf("camgate soak: %d cameras, %d faults, %v (seed %d)", cfg.Cameras, len(res.faults), cfg.Duration, cfg.Seed)
	return writeSVG(f, res.points, title)
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
		if c.active != nil || c.flapping {
			return false
		}
	}
	return true
}

// inject starts a fault on a camera that has none.
func inject(rng *rand.Rand, cams []*camState, gw *pipeline.Gateway, full pipeline.Config, now time.Time, res *result) {
	free := []int{}
	for i, c := range cams {
		if c.active == nil && !c.flapping {
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
		c.sub.Drop()
		c.main.Drop()
		if c.wsub != nil {
			// Every other time without DELETE, as a killed browser tab.
			c.wsub.drop(c.wdrops%2 == 1)
			c.wdrops++
		}
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
	if res.edits != "" {
		fmt.Fprintln(out, res.edits)
	}

	reportWebRTC(out, res)
	reportReboots(out, res)

	fails := append([]string(nil), res.failures...)
	if res.badReader != nil {
		fails = append(fails, reportBadReader(out, res.badReader, res.auth)...)
	}
	if res.wsessionsEnd != len(res.wreaders) {
		fails = append(fails, fmt.Sprintf("%d WebRTC sessions open at the end for %d WebRTC readers", res.wsessionsEnd, len(res.wreaders)))
	}
	if d := g.FDs - w.FDs; d > tolFDs {
		fails = append(fails, fmt.Sprintf("open files grew by %d (tolerance %d)", d, tolFDs))
	}
	if d := g.Goroutines - w.Goroutines; d > tolGoroutines {
		fails = append(fails, fmt.Sprintf("goroutines grew by %d (tolerance %d)", d, tolGoroutines))
	}
	// A codec that is not freed leaves its threads: those outside Go's
	// runtime must come back to what they were. Go's own threads are a
	// high-water mark: the runtime keeps every thread it ever needed for
	// blocking system calls and cgo calls, so their number follows the
	// busiest moment (a loaded CI machine), not the time running; a leak of
	// them would be goroutines stuck in such calls, which the goroutine check
	// catches. Their bound only catches a runaway.
	if d := (g.Threads - g.GoThreads) - (w.Threads - w.GoThreads); d > tolThreads {
		fails = append(fails, fmt.Sprintf("threads outside Go's runtime (libav, x264) grew by %d (tolerance %d)", d, tolThreads))
	}
	if d := g.GoThreads - w.GoThreads; d > tolGoThreads {
		fails = append(fails, fmt.Sprintf("Go's threads grew by %d (tolerance %d)", d, tolGoThreads))
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
	return fmt.Sprintf("fds %d, goroutines %d, threads %d (Go's %d), RSS %.1f MB, heap %.1f MB", r.FDs, r.Goroutines, r.Threads, r.GoThreads, float64(r.RSSKB)/1024, float64(r.HeapKB)/1024)
}
