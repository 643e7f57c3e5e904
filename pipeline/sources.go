package pipeline

import (
	"math"
	"time"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/stream"
)

// Which of a camera's streams feeds what.
//
// Most cameras serve a second, low-resolution stream besides their main one
// (/Streaming/Channels/102, subtype=1, …). Given one (sub_url), a camera
// decodes whichever of its streams is the cheapest that serves each of its
// consumers: a consumer of w×h pictures (the sub output, a grid tile, a
// snapshot of a given width) is fed from the low stream when that stream is
// up and its pictures are at least w×h, else from the main stream. The sub
// output needs no decoding at all when the camera's own sub stream already is
// what it would make (H.264 at its size and frame rate): it is then passed
// through. A transcoded main is always made from the main stream.
//
// If the low stream fails, its consumers go back to the main stream by
// themselves, within lowFresh of its last picture (the main decoder starts
// at its next keyframe), and return when it is back. A passed-through sub
// keeps its readers across the change: its description keeps its key, and
// the new parameter sets come in band with the first IDR, which players
// follow (the picture size is the same).

// lowFresh is how long after the low stream's last decoded picture its
// consumers stay on it, or three of its frame intervals if longer (a 1 fps
// sub stream): a stream that stops for longer has them fed from the main
// stream until its pictures come again.
const lowFresh = time.Second

// fresh tells whether the low stream's last picture is recent enough.
func (l *feed) fresh(now int64) bool {
	limit := int64(lowFresh)
	if fps := l.fps(); fps > 0 {
		limit = max(limit, int64(3*float64(time.Second)/fps))
	}
	return now-l.lastPicture.Load() < limit
}

// subRateTolerance is how far the camera's own sub stream's frame rate may
// be from the sub output's for it to be passed through: cameras set to
// 10 fps send 9.9 to 10.1, measured from timestamps over ten pictures.
const subRateTolerance = 0.1

// anyFeedReady tells whether either of the camera's streams delivers video:
// a grid tile fed from the low stream is live while the main stream is down.
func (c *Camera) anyFeedReady() bool { return c.ready() || (c.low != nil && c.low.ready()) }

// lowServes tells whether the camera's low-resolution stream is up, with
// pictures of at least w×h: it is then decoded for a consumer of that size.
func (c *Camera) lowServes(w, h int) bool {
	l := c.low
	if l == nil || !l.ready() {
		return false
	}
	lw, lh := l.pictureSize()
	return lw >= w && lh >= h
}

// lowWait is how long after a camera starts its consumers wait for its low
// stream before they are made from the main one: a camera's two streams come
// up together, and decoding the main stream for the second before the low
// one delivers (or passing nothing through for that second) would be waste.
// A low stream that fails, or turns out too small, ends the wait at once.
const lowWait = 5 * time.Second

// feedOf returns the feed whose pictures go to a consumer of w×h: the low
// stream when it serves and its pictures are coming (or will soon, at the
// camera's start), else the main stream.
func (c *Camera) feedOf(w, h int, now int64) *feed {
	if l := c.low; l != nil {
		if c.lowServes(w, h) && l.fresh(now) {
			return l
		}
		if c.awaitingLow(w, h, now) {
			return l
		}
	}
	return &c.feed
}

// awaitingLow tells whether, the camera having just started, a consumer of
// w×h waits for the low stream's first pictures.
func (c *Camera) awaitingLow(w, h int, now int64) bool {
	if !c.lowStarting(now) || c.low.lastPicture.Load() != 0 {
		return false
	}
	lw, lh := c.low.pictureSize()
	return lw == 0 || (lw >= w && lh >= h)
}

// lowStarting tells whether the camera started less than lowWait ago and
// its low stream is on its way (not failed).
func (c *Camera) lowStarting(now int64) bool {
	if now-c.startedAt >= int64(lowWait) {
		return false
	}
	s := State(c.low.stateNow.Load())
	return s == StateConnecting || s == StateReady
}

// subFeed returns the feed the sub output is made from, or nil when it
// needs no pictures: the camera's own sub stream is passed through, or is
// about to be (it has the sub's codec and size, and its frame rate is
// being measured, at the camera's start).
func (c *Camera) subFeed(now int64) *feed {
	if c.subRelay.Load() {
		return nil
	}
	o := c.sub
	if c.subMayRelay() {
		if c.lowStarting(now) {
			return nil
		}
		return &c.feed // until the relay starts, at the low stream's next keyframe
	}
	return c.feedOf(o.width, o.height, now)
}

// wants tells whether a consumer of w×h needs feed f decoded: the main
// stream while it feeds the consumer, the low stream as soon as it serves
// (so that its pictures come before the consumer moves to it).
func (c *Camera) wants(f *feed, w, h int, now int64) bool {
	if f == c.low {
		return c.lowServes(w, h)
	}
	return c.feedOf(w, h, now) == f
}

// needsPixels tells whether any output, grid tile or snapshot wants f's
// pictures decoded.
func (f *feed) needsPixels() bool {
	c := f.c
	t := time.Now()
	now := t.UnixNano()
	if f.snaps.wanted(t) {
		return true
	}
	for _, o := range c.outs {
		if c.decodesFor(f, o, now) {
			return true
		}
	}
	if sinks := c.sinks.Load(); sinks != nil {
		for _, t := range *sinks {
			w, h := c.tileNeed(t)
			if c.wants(f, w, h, now) {
				return true
			}
		}
	}
	return false
}

// tileNeed is the size of the low stream's picture in tile t (a 16:9
// picture letterboxed into a 640×720 tile is 640×360): what the low stream
// must have to serve it.
func (c *Camera) tileNeed(t *tileSink) (int, int) {
	if c.low == nil {
		return t.slot.w, t.slot.h
	}
	return t.need(c.low.pictureSize())
}

// tileFeed returns the feed whose pictures go to tile t.
func (c *Camera) tileFeed(t *tileSink, now int64) *feed {
	w, h := c.tileNeed(t)
	return c.feedOf(w, h, now)
}

// decodesFor tells whether f is decoded for output o.
func (c *Camera) decodesFor(f *feed, o *output, now int64) bool {
	switch {
	case o != c.sub:
		return f == &c.feed // a transcoded main is made from the main stream
	case f == c.low:
		return !c.subRelay.Load() && !c.subMayRelay() && c.lowServes(o.width, o.height)
	}
	return c.subFeed(now) == f
}

// feeds tells whether output o gets f's pictures.
func (c *Camera) feeds(f *feed, o *output, now int64) bool {
	if o != c.sub {
		return f == &c.feed
	}
	return c.subFeed(now) == f
}

// snapshotFeed returns the feed that serves a snapshot width pixels wide (0:
// the camera's own size): the one already decoding, the low stream when it
// is wide enough, else the main.
func (c *Camera) snapshotFeed(width int) *feed {
	now := time.Now().UnixNano()
	if width <= 0 || !c.lowServes(width, 0) {
		return &c.feed
	}
	if f := c.feedOf(width, 0, now); f == c.low || now-c.feed.lastPicture.Load() >= int64(lowFresh) {
		return c.low
	}
	return &c.feed
}

// subFits tells whether the camera's own sub stream can be <camera>/sub as
// it is: H.264 at the sub output's size and frame rate. (Its profile and
// bitrate are the camera's: every player decodes Main and High.)
func (c *Camera) subFits() bool {
	want := float64(c.cfg.Sub.FPS)
	return c.subMayRelay() && math.Abs(c.low.fps()-want) <= subRateTolerance*want
}

// subMayRelay tells whether the camera's own sub stream is H.264 at the sub
// output's size, and its frame rate, if measured already, is the sub's.
func (c *Camera) subMayRelay() bool {
	l := c.low
	if c.sub == nil || l == nil || codec.Codec(l.codecNow.Load()) != codec.H264 {
		return false
	}
	w, h := l.pictureSize()
	if w != c.sub.width || h != c.sub.height {
		return false
	}
	fps, want := l.fps(), float64(c.cfg.Sub.FPS)
	return fps == 0 || math.Abs(fps-want) <= subRateTolerance*want
}

// relaySub passes an access unit of the camera's own sub stream through to
// <camera>/sub, when it fits (subFits); the relay starts at a keyframe.
// Ingest of the low feed only.
func (c *Camera) relaySub(f *feed, u stream.Unit) {
	if c.sub == nil {
		return
	}
	if !c.subRelay.Load() {
		if !u.Keyframe || !f.ready() || !c.subFits() {
			return
		}
		w, h := f.pictureSize()
		c.sub.startRelay(codec.FromList(codec.H264, f.ingest.sess.params), w, h)
		c.subRelay.Store(true)
		f.log.Info().Float64("fps", f.fps()).Msg("sub stream: the camera's own, passed through (nothing decoded or encoded for it)")
	} else if !c.subFits() {
		c.stopSubRelay("the camera's own sub stream no longer matches the sub output's size or frame rate: transcoding it")
		return
	}
	c.sub.relay(u, f.ingest.sess)
}

// stopSubRelay makes <camera>/sub transcoded again, from the next picture
// decoded (an IDR).
func (c *Camera) stopSubRelay(why string) {
	if c.subRelay.CompareAndSwap(true, false) {
		c.sub.stopRelay()
		c.low.log.Info().Msg("sub stream: " + why)
	}
}

// feedEnded is told when a session of feed f ended: a passed-through sub
// stream is transcoded again, from the main stream.
func (c *Camera) feedEnded(f *feed) {
	if f == c.low {
		c.stopSubRelay("the camera's own sub stream ended: transcoding the main stream")
	}
}

// Sources says where a camera's consumers' pictures come from now: "main"
// (the main stream, decoded), "sub_url" (the camera's own low-resolution
// stream, decoded) or "passthrough" (the sub output is the camera's own sub
// stream as it is); "waiting" for the camera's own sub stream, in the first
// seconds of the camera.
type Sources struct {
	Sub   string `json:"sub,omitempty"`
	Tiles string `json:"tiles,omitempty"` // "main", "sub_url" or "main+sub_url" (tiles of different sizes)
}

func (c *Camera) sources() Sources {
	now := time.Now().UnixNano()
	name := func(f *feed) string {
		if f == c.low {
			return "sub_url"
		}
		return "main"
	}
	var s Sources
	if c.sub != nil {
		switch f := c.subFeed(now); {
		case c.subRelay.Load():
			s.Sub = "passthrough"
		case f == nil:
			s.Sub = "waiting" // for the camera's own sub stream, at the camera's start
		default:
			s.Sub = name(f)
		}
	}
	if sinks := c.sinks.Load(); sinks != nil {
		for _, t := range *sinks {
			n := name(c.tileFeed(t, now))
			switch s.Tiles {
			case "", n:
				s.Tiles = n
			default:
				s.Tiles = "main+sub_url"
			}
		}
	}
	return s
}
