package main

import (
	"fmt"
	"strings"
	"time"
)

// side is one way of doing the work, stepped through the numbers of cameras
// until it no longer keeps real time.
type side struct {
	name    string
	measure func(o *options, n int) (result, error)

	results []result
	stopped string // why it was not stepped further, "" while it keeps up
}

// result is what one side did with n cameras.
type result struct {
	n            int
	procs        int     // processes of the side
	cores        float64 // CPU seconds per second of the side's processes
	pssMiB       float64 // sum of their proportional set sizes
	fps          readerFPS
	lost         int     // packets the cameras dropped to the side, and camgate: access units its decode queues dropped; ffmpeg: its warning and error lines
	harnessCores float64 // the harness's CPU, counted for neither side
	problems     []string
}

// realTime says whether the side kept real time at this step.
func (r *result) realTime() bool { return len(r.problems) == 0 }

// judge fills in what kept the step from real time.
func (r *result) judge() {
	if r.fps.SubMin < realTimeShare*subFPS {
		r.problems = append(r.problems, fmt.Sprintf("a sub reader got %.1f fps", r.fps.SubMin))
	}
	if r.fps.Grid < realTimeShare*gridFPS {
		r.problems = append(r.problems, fmt.Sprintf("the grid reader got %.1f fps", r.fps.Grid))
	}
	if r.lost > 0 {
		r.problems = append(r.problems, fmt.Sprintf("%d lost", r.lost))
	}
}

// flowTimeout bounds the wait for every reader's first picture of n
// cameras: an ffmpeg grid opens its inputs one after the other, each with
// seconds of stream probing (measured: 16 inputs took over a minute), so
// the bound grows with them.
func flowTimeout(n int) time.Duration { return max(60*time.Second, time.Duration(n)*6*time.Second) }

// warmUp waits until every reader got a picture (an ffmpeg reading many
// cameras takes seconds to open them, one after the other), then for
// -warmup, so that what starting costs is over before the measurement.
func warmUp(o *options, h *harness) error {
	wait := flowTimeout(len(h.Cameras))
	deadline := time.Now().Add(wait)
	for {
		c, err := h.counts()
		if err != nil {
			return err
		}
		waiting := 0
		for _, v := range c.Sub {
			if v == 0 {
				waiting++
			}
		}
		if c.Grid == 0 {
			waiting++
		}
		if waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d readers got no picture within %v", waiting, len(c.Sub)+1, wait)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(o.warmup)
	return nil
}

// window is the measurement window's start as the harness sees it.
type window struct {
	h      *harness
	counts counts
	cpu    time.Duration
	at     time.Time
}

func startWindow(h *harness) (window, error) {
	c, err := h.counts()
	if err != nil {
		return window{}, err
	}
	cpu, err := h.cpu()
	return window{h: h, counts: c, cpu: cpu, at: time.Now()}, err
}

// end fills in the readers' frame rates and the harness's CPU since start.
func (w window) end(r *result) error {
	c, err := w.h.counts()
	if err != nil {
		return err
	}
	cpu, err := w.h.cpu()
	if err != nil {
		return err
	}
	r.fps = fpsBetween(w.counts, c)
	r.lost += int(c.CameraDrops - w.counts.CameraDrops)
	if d := c.RelayDrops - w.counts.RelayDrops; d > 0 {
		r.problems = append(r.problems, fmt.Sprintf("the relay dropped %d packets to the readers", d))
	}
	r.harnessCores = (cpu - w.cpu).Seconds() / time.Since(w.at).Seconds()
	return nil
}

// stepSides measures every side at each step, side by side, and stops
// stepping a side at the first step it does not keep real time at (or
// fails).
func stepSides(o *options, sides []side, floor floors) {
	printColumns()
	for _, n := range o.steps {
		for i := range sides {
			s := &sides[i]
			if s.stopped != "" {
				continue
			}
			r, err := s.measure(o, n)
			r.n = n
			if err != nil {
				s.stopped = fmt.Sprintf("at %d cameras: %v", n, err)
				printFailure(s.name, n, err)
				continue
			}
			r.judge()
			s.results = append(s.results, r)
			printRow(s.name, r, floor)
			if !r.realTime() {
				s.stopped = fmt.Sprintf("at %d cameras: %s", n, strings.Join(r.problems, ", "))
			}
		}
	}
}

// sustained is the largest number of cameras the side kept real time with,
// and whether it kept real time at every step (so the figure is a bound from
// below).
func (s *side) sustained() (n int, everyStep bool) {
	for _, r := range s.results {
		if !r.realTime() {
			return n, false
		}
		n = r.n
	}
	return n, s.stopped == ""
}
