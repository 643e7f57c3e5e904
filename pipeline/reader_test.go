package pipeline

import (
	"github.com/camgate/camgate/codec"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"

	"github.com/camgate/camgate/internal/annexb"
	"github.com/camgate/camgate/transcode"
)

// reader is an RTSP client of the gateway, as a viewer would be: it plays a
// path, reassembles H.264 access units and checks their timestamps.
type reader struct {
	t      *testing.T
	client *gortsplib.Client
	played time.Time

	mu         sync.Mutex
	aus        int
	idrs       []time.Time // arrival of each IDR
	last       time.Time   // arrival of the last access unit
	lastPTS    int64
	backwards  int
	sizes      map[[2]int]int
	dec        *transcode.Decoder
	decodeErrs int
	frames     int              // decoded pictures
	lastFrame  *transcode.Frame // a copy of the latest one
}

// newReader plays url over TCP; decode makes it decode every access unit.
func newReader(t *testing.T, url string, decode bool) *reader {
	t.Helper()
	r := &reader{t: t, sizes: map[[2]int]int{}, lastPTS: -1}
	u, err := base.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	tcp := gortsplib.ProtocolTCP
	r.client = &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp}
	if err := r.client.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.close)
	desc, _, err := r.client.Describe(u)
	if err != nil {
		t.Fatalf("describe %s: %v", url, err)
	}
	var f *format.H264
	m := desc.FindFormat(&f)
	if m == nil {
		t.Fatalf("%s: no H.264 track", url)
	}
	if err := r.client.SetupAll(desc.BaseURL, desc.Medias); err != nil {
		t.Fatal(err)
	}
	dep, err := f.CreateDecoder()
	if err != nil {
		t.Fatal(err)
	}
	if decode {
		if r.dec, err = transcode.NewDecoder(transcode.DecoderConfig{Codec: codec.H264}); err != nil {
			t.Fatal(err)
		}
	}
	r.client.OnPacketRTP(m, f, func(pkt *rtp.Packet) { r.onPacket(m, pkt, dep.Decode) })
	if _, err := r.client.Play(nil); err != nil {
		t.Fatal(err)
	}
	r.played = time.Now()
	return r
}

func (r *reader) onPacket(m *description.Media, pkt *rtp.Packet, decode func(*rtp.Packet) ([][]byte, error)) {
	pts, ok := r.client.PacketPTS(m, pkt)
	au, err := decode(pkt)
	if err != nil || !ok {
		return
	}
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.aus++
	r.last = now
	if pts <= r.lastPTS {
		r.backwards++
	}
	r.lastPTS = pts
	if annexb.IsKeyframe(au, false) {
		r.idrs = append(r.idrs, now)
	}
	if r.dec != nil {
		u := codec.AccessUnit{NALUs: au, PTS: codec.Duration(pts, codec.VideoClockRate), Keyframe: codec.IsKeyframe(codec.H264, au)}
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
func (r *reader) snapshot() (aus int, idrs []time.Time, last time.Time, backwards int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.aus, append([]time.Time(nil), r.idrs...), r.last, r.backwards
}

// waitFrames waits until n more access units arrived after now, and returns
// when the first of them came, or fails after timeout.
func (r *reader) waitFrames(n int, timeout time.Duration) time.Time {
	r.t.Helper()
	start, _, _, _ := r.snapshot()
	deadline := time.Now().Add(timeout)
	var first time.Time
	for time.Now().Before(deadline) {
		aus, _, last, _ := r.snapshot()
		if aus > start && first.IsZero() {
			first = last
		}
		if aus >= start+n {
			return first
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.t.Fatalf("fewer than %d access units within %v", n, timeout)
	return time.Time{}
}

func (r *reader) close() {
	r.client.Close()
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
