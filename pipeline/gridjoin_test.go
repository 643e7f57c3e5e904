package pipeline

import (
	"sync"
	"testing"
	"time"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/rtsp/rtspclient"
	"github.com/camgate/camgate/rtsp/rtsptest"
	"github.com/camgate/camgate/transcode"
)

// joinProbe is an RTSP reader of a grid that notes, for the first access
// unit it gets, whether it is an IDR, how many pictures the grid had encoded
// by then, and which access unit gave the first decoded picture.
type joinProbe struct {
	grid *Grid

	mu           sync.Mutex
	dec          *transcode.Decoder
	aus          int
	firstKey     bool
	framesAtAU1  uint64 // the grid's encoded-picture counter when the first unit came
	firstPicture int    // 1-based number of the unit that gave the first decoded picture; 0: none yet
}

func (p *joinProbe) onAccessUnit(au rtspclient.AccessUnit) {
	frames := p.grid.out.frames.Load()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.aus++
	if p.aus == 1 {
		p.firstKey, p.framesAtAU1 = au.Keyframe, frames
	}
	if p.dec == nil || p.firstPicture != 0 {
		return
	}
	if err := p.dec.Send(&codec.AccessUnit{NALUs: au.NALUs, PTS: au.PTS, Keyframe: au.Keyframe}); err != nil {
		return
	}
	for {
		f, err := p.dec.Receive()
		if err != nil || f == nil {
			return
		}
		if p.firstPicture == 0 {
			p.firstPicture = p.aus
		}
	}
}

// playGridProbe joins the grid over RTSP and waits for its first decoded
// picture; it returns the grid's encoded-picture counter just before the join.
func playGridProbe(t *testing.T, g *Gateway, name string) (*joinProbe, uint64) {
	t.Helper()
	p := &joinProbe{grid: g.Grid(name)}
	var err error
	if p.dec, err = transcode.NewDecoder(transcode.DecoderConfig{Codec: codec.H264}); err != nil {
		t.Fatal(err)
	}
	before := p.grid.out.frames.Load()
	player := rtsptest.PlayConfig(t, rtspclient.Config{URL: g.Server().URL("grid/" + name), OnAccessUnit: p.onAccessUnit})
	t.Cleanup(func() {
		player.Close() // first: its callback uses the decoder
		p.mu.Lock()
		p.dec.Close()
		p.dec = nil
		p.mu.Unlock()
	})
	deadline := time.Now().Add(patience)
	for {
		p.mu.Lock()
		done := p.firstPicture != 0
		p.mu.Unlock()
		if done {
			return p, before
		}
		if time.Now().After(deadline) {
			t.Fatalf("grid/%s: no decoded picture after %v", name, patience)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestGridJoinFirstPicture checks that a new RTSP reader of a grid gets a
// picture at once: its first access unit is an IDR that decodes by itself,
// encoded within a few of the grid's frames after it joined, both for the
// reader that wakes an idle grid and for one that joins a grid already
// encoding (mid-GOP, where only the IDR forced on join lets it start).
// It counts the grid's own encoded pictures instead of timing, so a loaded
// machine cannot make it fail: the bound is a third of a GOP, which a reader
// made to wait for the next regular IDR would exceed.
func TestGridJoinFirstPicture(t *testing.T) {
	fake := startFake(t, solidClip(t, tileColors[0]), false)
	g := startGatewayWithGrids(t, []CameraConfig{
		{Name: "c0", URL: fake.URL()},
		{Name: "down", URL: "rtsp://127.0.0.1:1/nothing-listens"}, // never ready: a placeholder tile
	}, GridConfig{Name: "j", Cameras: []string{"c0", "down"}})
	waitState(t, g.Camera("c0"), StateReady, patience)
	gop := g.Grid("j").out.enc.Config().GOP
	maxLate := uint64(gop / 3)
	check := func(who string, p *joinProbe, before uint64) {
		t.Helper()
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.firstKey {
			t.Errorf("%s: the first access unit is not an IDR", who)
		}
		if p.firstPicture != 1 {
			t.Errorf("%s: the first decoded picture came from access unit %d, want 1", who, p.firstPicture)
		}
		if late := p.framesAtAU1 - before; late < 1 || late > maxLate {
			t.Errorf("%s: the first access unit came when the grid had encoded %d pictures since the join, want 1 to %d (GOP %d)", who, late, maxLate, gop)
		}
	}
	first, before := playGridProbe(t, g, "j")
	check("reader of an idle grid", first, before)

	// Let the grid run past its first IDR, so that a new reader joins mid-GOP.
	for g.Grid("j").out.frames.Load() < uint64(gop/2) {
		time.Sleep(10 * time.Millisecond)
	}
	second, before := playGridProbe(t, g, "j")
	check("reader joining a running grid", second, before)
}
