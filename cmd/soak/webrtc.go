package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/camgate/camgate/webrtc"
	"github.com/camgate/camgate/webrtc/whepclient"
)

// wreader plays one stream over WebRTC (WHEP) for the whole soak, as a
// browser tab that reloads when its video freezes: it counts the pictures
// (complete access units) of every session, and dials again whenever the
// session ends, is dropped, or shows no new picture for redialAfter.
type wreader struct {
	name     string // the stream's path
	endpoint string

	mu       sync.Mutex
	frames   uint64    // pictures of every session
	last     time.Time // arrival (as polled) of the last one
	sessions int       // sessions that answered
	failed   int       // offers refused or not answered (the path gone, …)
	redials  int       // sessions ended because pictures stopped
	longest  time.Duration
	dropReq  chan bool // true: abandon (no DELETE), false: close

	stop chan struct{}
	wg   sync.WaitGroup
}

// redialAfter is how long a session may show no new picture before the
// reader gives it up and dials again: a browser player's "frozen" timeout.
const redialAfter = 4 * time.Second

// pollEvery is how often the reader reads its client's counters.
const pollEvery = 50 * time.Millisecond

func startWReader(name, endpoint string) *wreader {
	r := &wreader{name: name, endpoint: endpoint, dropReq: make(chan bool, 1), stop: make(chan struct{})}
	r.wg.Add(1)
	go r.run()
	return r
}

func (r *wreader) run() {
	defer r.wg.Done()
	for {
		select {
		case <-r.stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		c, err := whepclient.Dial(ctx, r.endpoint, whepclient.Options{})
		cancel()
		if err != nil {
			r.mu.Lock()
			r.failed++
			r.mu.Unlock()
			select {
			case <-r.stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
			continue
		}
		r.mu.Lock()
		r.sessions++
		r.mu.Unlock()
		abandon := r.play(c)
		if abandon {
			c.Abandon()
		} else {
			_ = c.Close()
		}
	}
}

// play counts the session's pictures until it ends, and tells how to leave
// it.
func (r *wreader) play(c *whepclient.Client) (abandon bool) {
	var seen uint64
	progress := time.Now()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return false
		case a := <-r.dropReq:
			return a
		case <-c.Done():
			r.count(c, &seen)
			return false
		case now := <-tick.C:
			if r.count(c, &seen) {
				progress = now
			} else if now.Sub(progress) > redialAfter {
				r.mu.Lock()
				r.redials++
				r.mu.Unlock()
				return false
			}
		}
	}
}

// count adds the session's new pictures; it tells whether there were any.
func (r *wreader) count(c *whepclient.Client, seen *uint64) bool {
	n := c.Stats().Frames
	if n <= *seen {
		return false
	}
	now := time.Now()
	r.mu.Lock()
	if !r.last.IsZero() {
		r.longest = max(r.longest, now.Sub(r.last))
	}
	r.frames += n - *seen
	r.last = now
	r.mu.Unlock()
	*seen = n
	return true
}

// drop leaves the session as a viewer does who goes away and comes back:
// abandon closes it without telling the server (a killed tab), which must
// reap it by itself.
func (r *wreader) drop(abandon bool) {
	select {
	case r.dropReq <- abandon:
	default:
	}
}

// stats returns the pictures received and the arrival of the last one.
func (r *wreader) stats() (frames uint64, last time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frames, r.last
}

type wreaderTotals struct {
	frames                    uint64
	sessions, failed, redials int
	longest                   time.Duration
}

func (r *wreader) totals() wreaderTotals {
	r.mu.Lock()
	defer r.mu.Unlock()
	return wreaderTotals{r.frames, r.sessions, r.failed, r.redials, r.longest}
}

// Close ends the session (with DELETE) and waits for the reader's goroutine.
func (r *wreader) Close() {
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	r.wg.Wait()
}

// startWReaders plays the grid and the first webrtcSubs cameras' subs over
// WebRTC; the grid's reader comes first.
func startWReaders(cams []*camState, srv *webrtc.Server) []*wreader {
	rs := []*wreader{startWReader("grid/all", srv.URL("grid/all")+"whep")}
	for _, c := range cams[:min(webrtcSubs, len(cams))] {
		c.wsub = startWReader(c.cfg.Name+"/sub", srv.URL(c.cfg.Name+"/sub")+"whep")
		rs = append(rs, c.wsub)
	}
	return rs
}

func closeWReaders(rs []*wreader) {
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Close()
		}()
	}
	wg.Wait()
}

// waitWReaders waits until every reader has more pictures than in since (all
// of them: more than none) and, if srv is not nil, the server has exactly
// one session per reader (the abandoned ones reaped).
func waitWReaders(rs []*wreader, srv *webrtc.Server, timeout time.Duration) error {
	since := make([]uint64, len(rs))
	for i, r := range rs {
		since[i], _ = r.stats()
	}
	deadline := time.Now().Add(timeout)
	for {
		var waiting []string
		for i, r := range rs {
			if n, _ := r.stats(); n == 0 || (srv != nil && n <= since[i]) {
				waiting = append(waiting, r.name)
			}
		}
		sessions := len(rs)
		if srv != nil {
			sessions = srv.Sessions()
		}
		if len(waiting) == 0 && sessions == len(rs) {
			return nil
		}
		if time.Now().After(deadline) {
			if len(waiting) > 0 {
				return fmt.Errorf("WebRTC: no picture on %s within %v", strings.Join(waiting, ", "), timeout)
			}
			return fmt.Errorf("WebRTC: %d sessions open for %d readers %v later (abandoned sessions not reaped)", sessions, len(rs), timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// settleWebRTC waits until every WebRTC reader plays and the server holds
// one session per reader, before a resource sample.
func (s *soak) settleWebRTC() error {
	return waitWReaders(s.res.wreaders, s.wrtc, webrtcSettle)
}

// wpending is a fault whose camera's sub showed a picture again over RTSP,
// and whose WebRTC reader must show one too within webrtcResume.
type wpending struct {
	r *wreader
	f *fault
}

// checkWebRTC resolves the pending checks of the WebRTC subs and watches
// that the WebRTC grid keeps getting pictures.
func (s *soak) checkWebRTC(now time.Time) {
	keep := s.wpending[:0]
	for _, p := range s.wpending {
		n, _ := p.r.stats()
		switch {
		case n > p.f.wbaseline:
			s.res.wrecoveries = append(s.res.wrecoveries, now.Sub(p.f.end))
		case now.Sub(p.f.end) > webrtcResume:
			s.res.failures = append(s.res.failures, fmt.Sprintf("WebRTC %s: no picture %v after %s at %v ended", p.r.name, webrtcResume, p.f, p.f.start.Sub(s.begin).Round(time.Second)))
		default:
			keep = append(keep, p)
		}
	}
	s.wpending = keep
	grid := s.res.wreaders[0]
	_, last := grid.stats()
	if now.Sub(last) > webrtcGridPause {
		if !s.wgridOpen {
			s.wgridOpen = true
			s.res.wgridPauses++
			s.res.failures = append(s.res.failures, fmt.Sprintf("WebRTC %s: no picture for %v at %v", grid.name, webrtcGridPause, now.Sub(s.begin).Round(time.Second)))
		}
	} else {
		s.wgridOpen = false
	}
}

// reportWebRTC prints what the WebRTC readers saw.
func reportWebRTC(out io.Writer, res *result) {
	for _, r := range res.wreaders {
		t := r.totals()
		fmt.Fprintf(out, "WebRTC %-10s pictures %6d, sessions %3d (offers refused %d, redialed after %v without pictures %d), longest pause %v\n",
			r.name, t.frames, t.sessions, t.failed, redialAfter, t.redials, t.longest.Round(10*time.Millisecond))
	}
	ds := append([]time.Duration(nil), res.wrecoveries...)
	if len(ds) > 0 {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Fprintf(out, "WebRTC subs resumed after %d faults: p50 %v, max %v (limit %v)\n", len(ds), ds[len(ds)/2].Round(10*time.Millisecond), ds[len(ds)-1].Round(10*time.Millisecond), webrtcResume)
	}
	fmt.Fprintf(out, "WebRTC sessions open after warm-up %d, at the end %d, for %d readers\n", res.wsessionsWarm, res.wsessionsEnd, len(res.wreaders))
}
