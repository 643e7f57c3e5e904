package pipeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/camgate/camgate/transcode"
)

// decodeLoop is a camera's decoder goroutine: it decodes each queued access
// unit once and hands the picture to every output, grid tile and snapshot
// that wants it. It owns the decoder, which it opens afresh for each session
// of the camera, and the scalers of the grid tiles it feeds.
type decodeLoop struct {
	c    *Camera
	dec  *transcode.Decoder // nil until the session's decoder opens
	sess *session           // the session dec decodes

	// pictured: dec gave a picture of sess. Until then, the session is not
	// ready, and one whose access units libav rejects undecodableAfter times
	// is ended: it is not video.
	pictured bool

	// The counters of the decoders of earlier sessions, so that the camera's
	// stay cumulative across reconnects.
	errBase, skipBase uint64

	// The tile sinks last seen, to free the scalers of removed ones.
	sinks *[]*tileSink

	// The pictures the outputs scaled from the current one, for the tiles
	// to scale further (cascade.go); backed by an array, so that handing
	// them out allocates nothing.
	scaled    [maxOutputs]scaledPicture
	numScaled int

	lastLog time.Time                    // of the last damaged-input warning
	emit    func(*transcode.Frame) error // l.hand, bound once: no allocation per picture
}

// decode runs the decoder goroutine until the camera stops.
func (c *Camera) decode() {
	defer c.wg.Done()
	l := &decodeLoop{c: c}
	l.emit = l.hand
	defer l.close()
	for {
		select {
		case <-c.ctx.Done():
			return
		case q := <-c.queue:
			l.decode(&q)
		}
	}
}

// decode decodes one access unit and hands out what comes out.
func (l *decodeLoop) decode(q *queuedAU) {
	if q.sess != l.sess {
		l.open(q.sess)
	}
	if l.dec == nil {
		return
	}
	err := l.dec.Decode(&q.au, l.emit)
	s := l.dec.Stats()
	l.c.decodeErrors.Store(l.errBase + s.Errors)
	l.c.keyWaits.Store(l.skipBase + s.Skipped)
	if err != nil {
		l.warn("decoding", err)
		if !l.pictured && s.Errors >= undecodableAfter {
			l.c.endCurrentSession(l.sess, l.undecodable(err, s.AccessUnits))
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
func (l *decodeLoop) undecodable(err error, aus uint64) error {
	name := l.sess.codec.String()
	msg := strings.TrimPrefix(err.Error(), "decoder: "+name+": ")
	return fmt.Errorf("camera sends %s that does not decode: %s (%d access units, none decoded)", name, msg, aus)
}

// open starts a fresh decoder for a new session, which may bring another
// codec or other parameter sets; it decodes from the session's first
// keyframe.
func (l *decodeLoop) open(sess *session) {
	l.closeDecoder()
	l.sess, l.pictured = sess, false
	d, err := transcode.NewDecoder(transcode.DecoderConfig{
		Codec: sess.codec, ParameterSets: sess.params,
		Threads: l.c.cfg.Decoder.Threads, SkipLoopFilter: !l.c.cfg.Decoder.Deblock,
	})
	if err != nil {
		// The camera's parameter sets are not something libav can start
		// from: this session will not show a picture.
		l.c.endCurrentSession(sess, fmt.Errorf("camera's %s stream cannot be decoded: %w", sess.codec, err))
		return
	}
	l.dec = d
}

// hand gives a decoded picture to every output, grid tile and snapshot.
func (l *decodeLoop) hand(f *transcode.Frame) error {
	c := l.c
	c.decodedPics.Add(1)
	if !l.pictured {
		l.pictured = true
		c.markReady(l.sess)
	}
	l.numScaled = 0
	for _, o := range c.outs {
		s, err := o.push(f)
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
			t.push(f, l.scaled[:l.numScaled])
		}
	}
	c.snaps.serve(f)
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

func (l *decodeLoop) closeDecoder() {
	if l.dec != nil {
		s := l.dec.Stats()
		l.errBase, l.skipBase = l.errBase+s.Errors, l.skipBase+s.Skipped
		l.dec.Close()
		l.dec = nil
	}
}

// close frees the decoder, the snapshots' encoder and the tiles' scalers.
func (l *decodeLoop) close() {
	l.closeDecoder()
	l.c.snaps.close()
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
