package pipeline

import (
	"github.com/camgate/camgate/codec"
	"sync"
	"testing"
	"time"

	"github.com/camgate/camgate/rtsp/rtspclient"
	"github.com/camgate/camgate/rtsp/rtsptest"
	"github.com/camgate/camgate/transcode"
)

// reader is an RTSP client of the gateway, as a viewer would be: it plays a
// path, reassembles H.264 access units and checks their timestamps
// (rtspclient.Player), and decodes them if asked.
type reader struct {
	t      *testing.T
	player *rtspclient.Player
	played time.Time

	mu         sync.Mutex
	idrs       []time.Time   // arrival of each IDR
	aus        int           // access units received
	lastPTS    time.Duration // presentation time of the last one
	sizes      map[[2]int]int
	dec        *transcode.Decoder
	decodeErrs int
	frames     int              // decoded pictures
	lastFrame  *transcode.Frame // a copy of the latest one
}

// newReader plays url over TCP; decode makes it decode every access unit.
func newReader(t *testing.T, url string, decode bool) *reader {
	t.Helper()
	r := &reader{t: t, sizes: map[[2]int]int{}}
	t.Cleanup(r.close)
	if decode {
		var err error
		if r.dec, err = transcode.NewDecoder(transcode.DecoderConfig{Codec: codec.H264}); err != nil {
			t.Fatal(err)
		}
	}
	r.player = rtsptest.PlayConfig(t, rtspclient.Config{URL: url, OnAccessUnit: r.onAccessUnit})
	sess := r.player.Session()
	if sess.Codec != rtspclient.H264 {
		t.Fatalf("%s: no H.264 track", url)
	}
	r.played = sess.Played
	return r
}

func (r *reader) onAccessUnit(au rtspclient.AccessUnit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.aus++
	r.lastPTS = au.PTS
	if au.Keyframe {
		r.idrs = append(r.idrs, au.Arrival)
	}
	if r.dec != nil {
		u := codec.AccessUnit{NALUs: au.NALUs, PTS: au.PTS, Keyframe: au.Keyframe}
		if err := r.dec.Send(&u); err != nil {
			r.decodeErrs++
		}
		for {
			f, err := r.dec.Receive()
			if err != nil {
				r.decodeErrs++
				continue
			}
			if f == nil {
				break
			}
			r.sizes[[2]int{f.Width(), f.Height()}]++
			r.frames++
			if r.lastFrame == nil || r.lastFrame.Width() != f.Width() || r.lastFrame.Height() != f.Height() {
				if r.lastFrame != nil {
					r.lastFrame.Close()
				}
				r.lastFrame, _ = transcode.NewFrame(f.Width(), f.Height())
			}
			transcode.Blit(r.lastFrame, 0, 0, f, 0, 0, f.Width(), f.Height())
		}
	}
}

// snapshot returns access units received, IDR arrivals, last arrival and
// timestamps that went backwards.
// A timestamp equal to the previous one counts as backwards too.
func (r *reader) snapshot() (aus int, idrs []time.Time, last time.Time, backwards int) {
	st := r.player.Stats()
	r.mu.Lock()
	defer r.mu.Unlock()
	return st.Pictures, append([]time.Time(nil), r.idrs...), st.Last, st.Backwards + st.Repeated
}

// waitFrames waits until n more access units arrived after now, and returns
// when the first of them came, or fails after timeout.
func (r *reader) waitFrames(n int, timeout time.Duration) time.Time {
	r.t.Helper()
	return rtsptest.WaitPictures(r.t, r.player, n, timeout)
}

// close ends the player first: its callback uses the decoder.
func (r *reader) close() {
	if r.player != nil {
		r.player.Close()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dec != nil {
		r.dec.Close()
		r.dec = nil
	}
	if r.lastFrame != nil {
		r.lastFrame.Close()
		r.lastFrame = nil
	}
}

// pixel returns the Y, Cb, Cr of the latest decoded picture at (x, y).
func (r *reader) pixel(x, y int) [3]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lastFrame == nil {
		return [3]byte{}
	}
	return framePixel(r.lastFrame, x, y)
}

func framePixel(f *transcode.Frame, x, y int) [3]byte {
	yp, ys := f.Plane(0)
	up, us := f.Plane(1)
	vp, vs := f.Plane(2)
	return [3]byte{yp[y*ys+x], up[y/2*us+x/2], vp[y/2*vs+x/2]}
}

// decodedFrames returns the number of pictures decoded so far.
func (r *reader) decodedFrames() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frames
}
