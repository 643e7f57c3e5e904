package pipeline

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/camgate/camgate/transcode"
)

// Placeholder colour of a tile whose camera is not live: a dark slate, far
// enough from black (16,128,128) that nobody takes it for a dark scene.
const (
	placeholderY  = 56
	placeholderCb = 150
	placeholderCr = 112
)

// tileSlot is one tile of a grid: the latest picture its camera gave, already
// at the tile's size. The camera writes it, the grid reads it; both only copy
// pixels while holding mu, never call libav.
type tileSlot struct {
	name       string // camera
	x, y, w, h int    // place in the canvas
	stall      atomic.Int64

	cam atomic.Pointer[Camera] // nil while the camera does not exist

	mu      sync.Mutex
	tile    *transcode.Frame // nil once the grid is closed
	updated time.Time
}

// live tells whether the tile shows a current picture of a working camera.
func (s *tileSlot) liveLocked(now time.Time) bool {
	c := s.cam.Load()
	return c != nil && s.tile != nil && !s.updated.IsZero() &&
		c.anyFeedReady() && now.Sub(s.updated) < time.Duration(s.stall.Load())
}

// drawInto copies the tile, or the placeholder, into the canvas.
func (s *tileSlot) drawInto(canvas *transcode.Frame, now time.Time) (live bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.liveLocked(now) {
		transcode.Blit(canvas, s.x, s.y, s.tile, 0, 0, s.w, s.h)
		return true
	}
	transcode.FillRect(canvas, s.x, s.y, s.w, s.h, placeholderY, placeholderCb, placeholderCr)
	return false
}

// tileSink is a grid's request to a camera: pictures at the grid's frame rate,
// scaled for one tile. The camera's decoder goroutine owns its scaler.
type tileSink struct {
	slot   *tileSlot
	grid   *Grid
	fit    Fit
	alg    transcode.ScaleAlgorithm
	gate   FrameRateGate
	scaler *transcode.Scaler // from the camera's picture
	second *transcode.Scaler // from an output's scaled picture (cascade.go), made when first needed

	// Geometry for the current source size.
	srcW, srcH int
	sw, sh     int // the source's size in the tile, before the crop
	dx, dy     int // where the scaled picture goes in the tile
	cx, cy     int // where the tile's window starts in the scaled picture (crop)
	clear      bool
}

// push scales a decoded picture for the tile and stores it. scaled are the
// camera's outputs' pictures of f, which the tile is made from when one is
// close enough to its size (cascade.go).
//
// The tile prefers the pictures an output scaled (AcceptPreferred): a 15 fps
// tile of a 25 fps camera with a 10 fps sub then takes all of the sub's 10
// pictures a second among its 15, instead of 5 by chance (TestGatePrefersScaledPictures), and
// scales those from 640×360 rather than from 1080p.
func (t *tileSink) push(f *transcode.Frame, scaled []scaledPicture) {
	var keep bool
	if len(scaled) > 0 {
		keep = t.gate.AcceptPreferred(f.PTS())
	} else {
		keep = t.gate.Accept(f.PTS())
	}
	if !keep || !t.grid.active() {
		return
	}
	if f.Width() != t.srcW || f.Height() != t.srcH || t.scaler == nil {
		if !t.configure(f.Width(), f.Height()) {
			return
		}
	}
	pic, err := t.scale(f, scaled)
	if err != nil {
		return
	}
	now := time.Now()
	s := t.slot
	s.mu.Lock()
	if s.tile != nil {
		if t.clear {
			transcode.FillRect(s.tile, 0, 0, s.w, s.h, 16, 128, 128) // letterbox bars
			t.clear = false
		}
		transcode.Blit(s.tile, t.dx, t.dy, pic, t.cx, t.cy, s.w, s.h)
		s.updated = now
	}
	s.mu.Unlock()
}

// scale makes f's picture at the tile's size, from the smallest picture
// that serves.
func (t *tileSink) scale(f *transcode.Frame, scaled []scaledPicture) (*transcode.Frame, error) {
	m := intermediateFor(scaled, t.alg, t.sw, t.sh, f.Width(), f.Height())
	switch {
	case m == nil:
		return t.scaler.Scale(f)
	case m.Width() == t.sw && m.Height() == t.sh:
		return m, nil // the output's picture is the tile's already
	}
	if t.second == nil {
		sc, err := transcode.NewScaler(t.sw, t.sh, t.alg)
		if err != nil {
			return t.scaler.Scale(f)
		}
		t.second = sc
	}
	return t.second.Scale(m)
}

// configure computes where the source goes in the tile and makes the scaler.
func (t *tileSink) configure(w, h int) bool {
	t.close()
	tw, th := t.slot.w, t.slot.h
	sw, sh := fitSize(t.fit, tw, th, w, h)
	sc, err := transcode.NewScaler(sw, sh, t.alg)
	if err != nil {
		return false
	}
	t.scaler, t.srcW, t.srcH, t.sw, t.sh = sc, w, h, sw, sh
	t.dx, t.dy = max((tw-sw)/2, 0)&^1, max((th-sh)/2, 0)&^1
	t.cx, t.cy = max((sw-tw)/2, 0)&^1, max((sh-th)/2, 0)&^1
	t.clear = true
	return true
}

// fitSize is the size a w×h picture is scaled to for a tw×th tile: the
// tile's (stretch), the largest that fits inside it (letterbox) or the
// smallest that covers it (crop), in even numbers.
func fitSize(fit Fit, tw, th, w, h int) (sw, sh int) {
	sw, sh = tw, th // stretch
	switch fit {
	case FitLetterbox, FitCrop:
		// Scale by the smaller ratio to fit inside, the larger to cover.
		fitW := w*th > tw*h // the source is wider than the tile
		if (fit == FitLetterbox) == fitW {
			sw, sh = tw, h*tw/w
		} else {
			sw, sh = w*th/h, th
		}
	}
	return max(sw&^1, transcode.MinDimension), max(sh&^1, transcode.MinDimension)
}

// need is the size of picture the tile shows of a w×h source (0×0: not
// known yet, then the tile's size): the least a source must have to serve it.
func (t *tileSink) need(w, h int) (int, int) {
	if w <= 0 || h <= 0 {
		return t.slot.w, t.slot.h
	}
	return fitSize(t.fit, t.slot.w, t.slot.h, w, h)
}

func (t *tileSink) close() {
	if t.scaler != nil {
		t.scaler.Close()
		t.scaler = nil
	}
	if t.second != nil {
		t.second.Close()
		t.second = nil
	}
}
