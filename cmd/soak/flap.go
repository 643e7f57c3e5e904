package main

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// The flapping fault: one camera reboots every few seconds for flapFor, as a
// camera on a failing power supply or a flaky Wi-Fi link does, after the
// warm-up and again every flapEvery. Every reboot's recovery, from the
// moment the camera's port listens again (fakecam's OnListen) to the first
// new picture on the camera's sub stream, is measured, and so is the
// recovery of every reboot fault: the report gives their p50 and p99.
const (
	flapFor   = time.Minute
	flapEvery = 10 * time.Minute
)

// flap is the flapping in progress.
type flap struct {
	cam       *camState
	until     time.Time // no reboot after this
	down      bool      // rebooted, its port not open again yet
	opened    time.Time // its port opened: waiting for a picture since
	baseline  uint64    // sub pictures when the port opened
	nextBoot  time.Time // up until then
	reboots   int
	startedAt time.Time
}

// noteListens records when each camera's port last started listening.
func (s *soak) noteListens() {
	for _, c := range s.cams {
		for drained := false; !drained; {
			select {
			case at := <-c.listens:
				c.lastListen = at
			default:
				drained = true
			}
		}
	}
}

// rebootRecovered records the recovery of a reboot fault of c, whose first
// new sub picture came at pic.
func (s *soak) rebootRecovered(c *camState, f *fault) {
	if _, pic, _ := c.sub.stats(); c.lastListen.After(f.start) && pic.After(c.lastListen) {
		s.res.reboots = append(s.res.reboots, pic.Sub(c.lastListen))
	}
}

// maybeFlap starts, drives and ends the flapping.
func (s *soak) maybeFlap(now time.Time) {
	f := s.flap
	if f == nil {
		c := s.cams[len(s.cams)-1]
		due := s.warmDone && (s.lastFlap.IsZero() || now.Sub(s.lastFlap) > flapEvery)
		if !due || c.active != nil || now.Add(flapFor+s.bound).After(s.coolFrom) {
			return
		}
		c.flapping = true
		s.flap = &flap{cam: c, until: now.Add(flapFor), nextBoot: now, startedAt: now}
		s.lastFlap = now
		fmt.Fprintf(s.out, "%4.0fs  %s starts flapping for %v\n", now.Sub(s.begin).Seconds(), c.cfg.Name, flapFor)
		return
	}
	c := f.cam
	switch {
	case f.down:
		if c.lastListen.After(f.nextBoot) {
			f.down, f.opened = false, c.lastListen
			f.baseline, _, _ = c.sub.stats()
		}
	case !f.opened.IsZero():
		frames, pic, _ := c.sub.stats()
		if frames > f.baseline {
			s.res.reboots = append(s.res.reboots, pic.Sub(f.opened))
			s.res.flapReboots++
			f.opened = time.Time{}
			f.nextBoot = now.Add(time.Duration(1000+s.rng.Intn(2000)) * time.Millisecond) // up 1–3 s
		} else if now.Sub(f.opened) > s.bound {
			s.res.failures = append(s.res.failures, fmt.Sprintf("flapping %s: no picture %v after its port opened", c.cfg.Name, s.bound))
			s.endFlap(now)
		}
	case now.After(f.until):
		s.endFlap(now)
	case now.After(f.nextBoot):
		f.down, f.nextBoot = true, now
		f.reboots++
		c.fake.Reboot(time.Duration(500+s.rng.Intn(2500)) * time.Millisecond) // down 0.5–3 s
	}
}

func (s *soak) endFlap(now time.Time) {
	f := s.flap
	f.cam.flapping = false
	f.cam.gapOpen = false
	s.flap = nil
	fmt.Fprintf(s.out, "%4.0fs  %s stops flapping after %d reboots\n", now.Sub(s.begin).Seconds(), f.cam.cfg.Name, f.reboots)
}

// reportReboots prints the recovery of every reboot of the soak.
func reportReboots(out io.Writer, res *result) {
	ds := append([]time.Duration(nil), res.reboots...)
	if len(ds) == 0 {
		fmt.Fprintln(out, "reboots: none measured")
		return
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	q := func(p float64) time.Duration {
		return ds[min(len(ds)-1, int(p*float64(len(ds))))].Round(10 * time.Millisecond)
	}
	fmt.Fprintf(out, "reboots: %d (%d while flapping), port open to the next picture on the camera's sub: p50 %v, p99 %v, max %v\n",
		len(ds), res.flapReboots, q(0.5), q(0.99), ds[len(ds)-1].Round(10*time.Millisecond))
}
