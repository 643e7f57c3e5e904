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
// consumers stay on it: a stream that stops for longer has them fed from
// the main stream until its pictures come again.
const lowFresh = time.Second

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

// feedOf returns the feed whose pictures go to a consumer of w×h: the low
// stream when it serves and its pictures are coming, else the main stream.
func (c *Camera) feedOf(w, h int, now int64) *feed {
	if c.lowServes(w, h) && now-c.low.lastPicture.Load() < int64(lowFresh) {
		return c.low
	}
	return &c.feed
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
		switch {
		case o != c.sub:
			if f == &c.feed { // a transcoded main is made from the main stream
				return true
			}
		case c.subRelay.Load():
		case c.wants(f, o.width, o.height, now):
			return true
		}
	}
	if sinks := c.sinks.Load(); sinks != nil {
		for _, t := range *sinks {
			if c.wants(f, t.slot.w, t.slot.h, now) {
				return true
			}
		}
	}
	return false
}

// feeds tells whether output o gets f's pictures.
func (c *Camera) feeds(f *feed, o *output, now int64) bool {
	if o != c.sub {
		return f == &c.feed
	}
	return !c.subRelay.Load() && c.feedOf(o.width, o.height, now) == f
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
// it is: H.264 at the sub output's size and frame rate.
func (c *Camera) subFits() bool {
	l := c.low
	if c.sub == nil || l == nil || codec.Codec(l.codecNow.Load()) != codec.H264 {
		return false
	}
	w, h := l.pictureSize()
	want := float64(c.cfg.Sub.FPS)
	return w == c.sub.width && h == c.sub.height && math.Abs(l.fps()-want) <= subRateTolerance*want
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
// stream as it is).
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
		s.Sub = name(c.feedOf(c.sub.width, c.sub.height, now))
		if c.subRelay.Load() {
			s.Sub = "passthrough"
		}
	}
	if sinks := c.sinks.Load(); sinks != nil {
		for _, t := range *sinks {
			n := name(c.feedOf(t.slot.w, t.slot.h, now))
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
