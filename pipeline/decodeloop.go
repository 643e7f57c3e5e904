package pipeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/camgate/camgate/transcode"
)

// decodeLoop is a camera's decoder goroutine: it decodes each queued access
// unit of its feeds once and hands the picture to every output, grid tile and
// snapshot it feeds (sources.go). One goroutine for both of a camera's feeds
// keeps every output's scaler and encoder, and every tile's scaler, on one
// goroutine: a consumer that moves from one feed to the other needs no lock.
type decodeLoop struct {
	c     *Camera
	feeds [2]*feedDecoder // main, and the low-resolution stream or nil

	// The tile sinks last seen, to free the scalers of removed ones.
	sinks *[]*tileSink

	// The pictures the outputs scaled from the current one, for the tiles
	// to scale further (cascade.go); backed by an array, so that handing
	// them out allocates nothing.
	scaled    [maxOutputs]scaledPicture
	numScaled int

	lastLog time.Time // of the last damaged-input warning
}

// feedDecoder decodes one feed's access units. It opens a decoder afresh
// for each session of the feed.
type feedDecoder struct {
	l    *decodeLoop
	f    *feed
	dec  *transcode.Decoder // nil until the session's decoder opens
	sess *session           // the session dec decodes

	// pictured: dec gave a picture of sess. Until then, the session is not
	// ready, and one whose access units libav rejects undecodableAfter times
	// is ended: it is not video.
	pictured bool

	// The counters of the decoders of earlier sessions, so that the feed's
	// stay cumulative across reconnects.
	errBase, skipBase uint64

	emit func(*transcode.Frame) error // d.hand, bound once: no allocation per picture
}

func (l *decodeLoop) newFeedDecoder(f *feed) *feedDecoder {
	d := &feedDecoder{l: l, f: f}
	d.emit = d.hand
	return d
}

// decode runs the decoder goroutine until the camera stops.
func (c *Camera) decode() {
	defer c.wg.Done()
	l := &decodeLoop{c: c}
	l.feeds[0] = l.newFeedDecoder(&c.feed)
	var lowQueue chan queuedAU // nil without a low stream: never ready
	if c.low != nil {
		l.feeds[1] = l.newFeedDecoder(c.low)
		lowQueue = c.low.queue
	}
	defer l.close()
	for {
		select {
		case <-c.ctx.Done():
			return
		case q := <-c.feed.queue:
			l.feeds[0].decode(&q)
		case q := <-lowQueue:
			l.feeds[1].decode(&q)
		}
	}
}

// decode decodes one access unit and hands out what comes out.
func (d *feedDecoder) decode(q *queuedAU) {
	if q.sess != d.sess {
		d.open(q.sess)
	}
	if d.dec == nil {
		return
	}
	err := d.dec.Decode(&q.au, d.emit)
	s := d.dec.Stats()
	d.f.decodeErrors.Store(d.errBase + s.Errors)
	d.f.keyWaits.Store(d.skipBase + s.Skipped)
	if err != nil {
		d.l.warn("decoding", err)
		if !d.pictured && s.Errors >= undecodableAfter {
			d.f.endCurrentSession(d.sess, d.undecodable(err, s.AccessUnits))
		}
	}
}

// undecodableAfter is how many access units libav may reject in a session
// before its first picture until the session is ended. The decoder only
// tries keyframes until one decodes, so a camera whose stream is fine but
// damaged at the start loses at most a keyframe or two (one in a GOP): ten
// in a row without a picture is not bad luck. Random bytes reach it in
// seconds (a few rejected "keyframes" a second at 25 fps), and a count,
// unlike a time, does not fail a camera with a long GOP that sends nothing
// to reject.
const undecodableAfter = 10

// undecodable is the session's last error when its stream does not decode.
func (d *feedDecoder) undecodable(err error, aus uint64) error {
	name := d.sess.codec.String()
	msg := strings.TrimPrefix(err.Error(), "decoder: "+name+": ")
	return fmt.Errorf("camera sends %s that does not decode: %s (%d access units, none decoded)", name, msg, aus)
}

// open starts a fresh decoder for a new session, which may bring another
// codec or other parameter sets; it decodes from the session's first
// keyframe.
func (d *feedDecoder) open(sess *session) {
	d.closeDecoder()
	d.sess, d.pictured = sess, false
	cfg := d.l.c.cfg.Decoder
	dec, err := transcode.NewDecoder(transcode.DecoderConfig{
		Codec: sess.codec, ParameterSets: sess.params,
		Threads: cfg.Threads, SkipLoopFilter: !cfg.Deblock,
	})
	if err != nil {
		// The camera's parameter sets are not something libav can start
		// from: this session will not show a picture.
		d.f.endCurrentSession(sess, fmt.Errorf("camera's %s stream cannot be decoded: %w", sess.codec, err))
		return
	}
	d.dec = dec
}

// hand gives a decoded picture of the feed to every output, grid tile and
// snapshot that the feed feeds now.
func (d *feedDecoder) hand(fr *transcode.Frame) error {
	l, c, f := d.l, d.l.c, d.f
	now := time.Now().UnixNano()
	f.decodedPics.Add(1)
	f.lastPicture.Store(now)
	if !d.pictured {
		d.pictured = true
		f.markReady(d.sess)
	}
	l.numScaled = 0
	for _, o := range c.outs {
		if !c.feeds(f, o, now) {
			continue
		}
		s, err := o.push(fr)
		if err != nil {
			l.warn("output", err)
		}
		if s != nil && l.numScaled < len(l.scaled) {
			l.scaled[l.numScaled] = scaledPicture{frame: s, alg: o.alg}
			l.numScaled++
		}
	}
	l.updateSinks()
	if l.sinks != nil {
		for _, t := range *l.sinks {
			if c.tileFeed(t, now) == f {
				t.push(fr, l.scaled[:l.numScaled])
			}
		}
	}
	f.snaps.serve(fr)
	return nil
}

// updateSinks picks up the camera's current list of tile sinks, freeing the
// scalers of the sinks that left it.
func (l *decodeLoop) updateSinks() {
	cur := l.c.sinks.Load()
	if cur == l.sinks {
		return
	}
	if l.sinks != nil {
		for _, old := range *l.sinks {
			if cur == nil || !containsSink(*cur, old) {
				old.close()
			}
		}
	}
	l.sinks = cur
}

// warn tells of damaged input or a failing output at most every 10 s; the
// counters count every case.
func (l *decodeLoop) warn(msg string, err error) {
	if time.Since(l.lastLog) > 10*time.Second {
		l.lastLog = time.Now()
		l.c.log.Warn().Err(err).Uint64("decode_errors", l.c.decodeErrors.Load()).Msg(msg)
	}
}

func (d *feedDecoder) closeDecoder() {
	if d.dec != nil {
		s := d.dec.Stats()
		d.errBase, d.skipBase = d.errBase+s.Errors, d.skipBase+s.Skipped
		d.dec.Close()
		d.dec = nil
	}
}

// close frees the decoders, the snapshots' encoders and the tiles' scalers.
func (l *decodeLoop) close() {
	for _, d := range l.feeds {
		if d != nil {
			d.closeDecoder()
			d.f.snaps.close()
		}
	}
	if l.sinks != nil {
		for _, s := range *l.sinks {
			s.close()
		}
	}
}

func containsSink(list []*tileSink, t *tileSink) bool {
	for _, s := range list {
		if s == t {
			return true
		}
	}
	return false
}
