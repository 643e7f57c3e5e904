package fakecam_test

import (
	"sync"
	"testing"
	"time"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/rtsp/rtspclient"
	"github.com/camgate/camgate/rtsp/rtsptest"
)

// replay is a Live source that hands out a clip's access units as if it
// filmed them, and records what the camera asked of it.
type replay struct {
	mu     sync.Mutex
	clip   fakecam.Clip
	next   int
	calls  []time.Time
	forced int
}

func (r *replay) ParameterSets() [][]byte { return r.clip.AccessUnits[0] } // the SPS and PPS among them

func (r *replay) ForceKeyframe() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forced++
	r.next = 0
}

func (r *replay) Picture(now time.Time) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, now)
	au := r.clip.AccessUnits[r.next%len(r.clip.AccessUnits)]
	r.next++
	return au
}

func (r *replay) counts() (calls, forced int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls), r.forced
}

// TestLiveCameraStreams: a camera with a Live source announces its parameter
// sets, sends what the source makes, asks for a keyframe when its sessions
// start over, and keeps the clip features (stall, reboot, SetClip).
func TestLiveCameraStreams(t *testing.T) {
	clip, err := fakecam.LoadClip("../../testdata/reschange.h264")
	if err != nil {
		t.Fatal(err)
	}
	src := &replay{clip: clip}
	cam, err := fakecam.Start(fakecam.Config{Live: src})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cam.Close)
	if _, err := rtspclient.Describe(cam.URL()); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var keyframes, pictures int
	p := rtsptest.PlayConfig(t, rtspclient.Config{URL: cam.URL(), OnAccessUnit: func(au rtspclient.AccessUnit) {
		mu.Lock()
		defer mu.Unlock()
		pictures++
		if codec.IsKeyframe(codec.H264, au.NALUs) {
			keyframes++
		}
	}})
	rtsptest.WaitPictures(t, p, 10, 60*time.Second)
	if calls, forced := src.counts(); calls < 10 || forced < 1 {
		t.Errorf("%d pictures asked for, %d keyframes forced; want ≥ 10 and ≥ 1 (at the start)", calls, forced)
	}

	cam.Stall(true)
	calls, _ := src.counts()
	if !waitFor(60*time.Second, func() bool { c, _ := src.counts(); return c >= calls+5 }) {
		t.Error("a stalled live camera stopped filming")
	}
	cam.Stall(false)
	rtsptest.WaitPictures(t, p, 3, 60*time.Second)

	_, forced := src.counts()
	cam.Reboot(200 * time.Millisecond)
	if !waitFor(60*time.Second, func() bool { _, err := rtspclient.Describe(cam.URL()); return err == nil }) {
		t.Fatal("not back after a reboot")
	}
	if _, f := src.counts(); f <= forced {
		t.Error("no keyframe asked for after a reboot")
	}
	rtsptest.WaitPictures(t, rtsptest.Play(t, cam.URL()), 3, 60*time.Second)

	cam.SetClip(clip)
	if !waitFor(60*time.Second, func() bool {
		c1, _ := src.counts()
		time.Sleep(200 * time.Millisecond)
		c2, _ := src.counts()
		return c1 == c2
	}) {
		t.Error("the live source is still asked for pictures after SetClip")
	}
	rtsptest.WaitPictures(t, rtsptest.Play(t, cam.URL()), 3, 60*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if keyframes == 0 || pictures == 0 {
		t.Errorf("%d pictures, %d keyframes", pictures, keyframes)
	}
}
