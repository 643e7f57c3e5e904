package pipeline

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/stream"
)

// session is what the decoder needs to know about a feed's current session.
type session struct {
	id     uint64
	codec  codec.Codec
	params [][]byte
}

// parses tells whether a keyframe's access unit and the session's parameter
// sets make a picture a decoder could start from: a picture size read from
// the SPS and a PPS (and for H.265 a VPS), from the SDP or in band.
func (s *session) parses(au [][]byte) (ps codec.ParameterSets, ok bool) {
	ps = codec.FromList(s.codec, s.params)
	ps.Update(s.codec, au)
	w, h := ps.PictureSize(s.codec)
	return ps, w > 0 && h > 0 && len(ps.PPS) > 0 && (s.codec != codec.H265 || len(ps.VPS) > 0)
}

// queuedAU is an access unit waiting for the decoder.
type queuedAU struct {
	au   codec.AccessUnit
	sess *session
}

// ingestState rebases timestamps across sessions and tracks queue drops.
// The video goroutine owns it; offset is shared with the other tracks', and
// the clock with the camera's other feed.
type ingestState struct {
	sess     *session
	rebase   bool
	lastPTS  time.Duration // the latest time on the camera's time line so far
	prevPTS  time.Duration // the previous access unit's time, as the camera gave it (rebased)
	lastWall time.Time     // when the previous access unit came
	started  bool
	dropping bool
	idle     bool // nothing wanted the previous access unit decoded
	resuming bool // dropping because pictures are wanted again, not for a full queue
	ready    bool
	rate     frameRate

	// offset turns the session's times into the camera's continuous time
	// line; noOffset until the session's first picture.
	offset atomic.Int64

	// clockPTS and clockWall are lastPTS and lastWall for the other feed
	// of the camera, which starts its sessions on the same time line.
	clockPTS  atomic.Int64
	clockWall atomic.Int64
}

const noOffset = math.MinInt64

// maxReorder bounds how far back in time a camera's picture may come after
// a later one: B-frames do by design, by a few frames (H.264 allows 16,
// about a second at 15 fps). Further back, the camera's clock was reset.
const maxReorder = 2 * time.Second

// timelineStart is where the time lines of cameras and grids start: zero, but tests that
// check clocks a day or years into a stream start it there.
var timelineStart time.Duration

// sinceLast is the time since the previous access unit came, at least a
// millisecond: the next time on the time line is never the same.
func sinceLast(now, last time.Time) time.Duration {
	return max(now.Sub(last), time.Millisecond)
}

// frameRate measures a session's frame rate from its timestamps.
type frameRate struct {
	first, last time.Duration
	n           int
}

// minRateFrames is how many pictures the frame rate is measured over before
// it is believed.
const minRateFrames = 10

// add counts a picture at pts; it returns the rate in thousandths of a
// frame a second, or 0 while too few pictures came.
func (r *frameRate) add(pts time.Duration) int64 {
	if r.n == 0 {
		r.first, r.last = pts, pts
	}
	r.n++
	r.last = max(r.last, pts)
	if r.n < minRateFrames || r.last <= r.first {
		return 0
	}
	return int64(float64(r.n-1) * 1000 * float64(time.Second) / float64(r.last-r.first))
}

// timelineNow is where the camera's time line is now: after the latest
// picture of either feed, by the time since it came.
func (f *feed) timelineNow(now time.Time) (time.Duration, bool) {
	in := &f.ingest
	t, ok := time.Duration(0), false
	if in.started {
		t, ok = in.lastPTS+sinceLast(now, in.lastWall), true
	}
	if o := f.c.otherFeed(f); o != nil {
		if wall := o.ingest.clockWall.Load(); wall != 0 {
			ot := time.Duration(o.ingest.clockPTS.Load()) + sinceLast(now, time.Unix(0, wall))
			if !ok || ot > t {
				t, ok = ot, true
			}
		}
	}
	return t, ok
}

// ingestVideo rebases an access unit's time, relays it (to the passthrough
// main, or as the camera's own sub stream) and queues it for decoding.
func (f *feed) ingestVideo(u stream.Unit) {
	c, in := f.c, &f.ingest
	now := time.Now()
	// Only the low stream's size is asked for (sources.go): the main feed
	// parses its keyframes until it is ready, as before, and no more.
	if u.Keyframe && (!in.ready || f != &c.feed) {
		ps, ok := in.sess.parses(u.Data)
		f.storeSize(in.sess.codec, ps)
		// Ready means video: decoded pictures when anything needs them (the
		// decoder then says so), else a keyframe whose parameter sets are known.
		if ok && !in.ready && !f.needsPixels() {
			in.ready = true
			f.markReady(in.sess)
		}
	}
	// Rebase so that timestamps continue across sessions, with the real
	// gap: a session's first picture comes after the latest of the last
	// session (or of the camera's other stream) by the time that passed,
	// never at its time.
	if in.rebase {
		off := timelineStart - u.PTS
		if t, ok := f.timelineNow(now); ok {
			off = t - u.PTS
		}
		in.offset.Store(int64(off))
		in.rebase, in.started = false, true
	}
	pts := u.PTS + time.Duration(in.offset.Load())
	if !in.lastWall.IsZero() && pts < in.lastPTS-maxReorder {
		// The camera's clock went back further than any B-frame goes (it
		// was reset): the time line goes on from where it was, and follows
		// the camera's clock again from there.
		off := in.lastPTS + sinceLast(now, in.lastWall) - u.PTS
		in.offset.Store(int64(off))
		pts = u.PTS + off
	}
	u.PTS = pts
	if f.relay != nil {
		// The relay keeps the camera's own timing (B-frames go back in
		// presentation order); only the decoder's copy is corrected below.
		f.relay.Write(u)
	}
	if f != &c.feed {
		if fps := in.rate.add(pts); fps > 0 {
			f.milliFPS.Store(fps)
		}
		c.relaySub(f, u) // sources.go
	}
	if pts == in.prevPTS && !in.lastWall.IsZero() {
		// The camera's clock stands still (some cameras send every picture
		// with one timestamp): the time that really passed keeps the
		// outputs' frame rates and the grid's tiles right. A picture whose
		// time is before the previous one's is not corrected: B-frames
		// come after the later pictures they are shown before, and the
		// decoder puts them back in order.
		pts = in.lastPTS + sinceLast(now, in.lastWall)
	}
	in.prevPTS, in.lastWall = u.PTS, now
	in.lastPTS = max(in.lastPTS, pts)
	in.clockPTS.Store(int64(in.lastPTS))
	in.clockWall.Store(now.UnixNano())

	if !f.needsPixels() {
		in.idle = true
		return
	}
	if in.idle {
		// Pictures are wanted again after a time nobody wanted them (a
		// grid opened, the camera's own sub stream failed): the decoder,
		// which holds this session's earlier pictures, starts again at a
		// keyframe, as after a drop.
		in.idle, in.dropping, in.resuming = false, true, true
	}
	// Ingest never waits for the decoder. When the queue is full, drop up to
	// the next keyframe: a lone dropped picture would break its successors.
	if in.dropping && !u.Keyframe {
		if !in.resuming {
			f.queueDrops.Add(1)
		}
		return
	}
	select {
	case f.queue <- queuedAU{au: codec.AccessUnit{NALUs: u.Data, PTS: pts, Keyframe: u.Keyframe}, sess: in.sess}:
		in.dropping, in.resuming = false, false
	default:
		in.dropping, in.resuming = true, false
		f.queueDrops.Add(1)
	}
}
