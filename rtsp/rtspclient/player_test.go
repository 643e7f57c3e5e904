package rtspclient_test

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/rtsp/rtspclient"
	"github.com/camgate/camgate/rtsp/rtsptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func camera(t *testing.T, clip string, cfg fakecam.Config) *fakecam.Camera {
	t.Helper()
	c, err := fakecam.LoadClip("../../testdata/" + clip)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Clip = c
	cam, err := fakecam.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cam.Close)
	return cam
}

// waitFor polls cond every 10 ms for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

func TestPlayCountsPictures(t *testing.T) {
	for _, tc := range []struct {
		clip  string
		codec rtspclient.Codec
	}{{"reschange.h264", rtspclient.H264}, {"cam720p25.hevc", rtspclient.H265}} {
		t.Run(tc.clip, func(t *testing.T) {
			cam := camera(t, tc.clip, fakecam.Config{Audio: true})
			var mu sync.Mutex
			var aus []rtspclient.AccessUnit
			p := rtsptest.PlayConfig(t, rtspclient.Config{URL: cam.URL(), OnAccessUnit: func(au rtspclient.AccessUnit) {
				mu.Lock()
				aus = append(aus, au)
				mu.Unlock()
			}})
			rtsptest.WaitPictures(t, p, 10, 5*time.Second)
			if !waitFor(5*time.Second, func() bool { return p.Stats().Keyframes > 0 }) {
				t.Fatal("no keyframe within 5 s")
			}
			st, sess := p.Stats(), p.Session()
			if sess.Codec != tc.codec || sess.UDP || sess.Played.IsZero() || st.Sessions != 1 {
				t.Errorf("session %+v, %d sessions", sess, st.Sessions)
			}
			if st.Backwards != 0 || st.Repeated != 0 || st.Packets <= st.Pictures {
				t.Errorf("stats %+v: want increasing timestamps and more packets (video and audio) than pictures", st)
			}
			mu.Lock()
			defer mu.Unlock()
			for i := 1; i < len(aus); i++ {
				if d := aus[i].PTS - aus[i-1].PTS; d != 40*time.Millisecond {
					t.Fatalf("access unit %d: PTS step %v, want 40 ms at 25 fps", i, d)
				}
				if len(aus[i].NALUs) == 0 || aus[i].Arrival.Before(aus[i-1].Arrival) {
					t.Fatalf("access unit %d: %d NAL units, arrival %v after %v", i, len(aus[i].NALUs), aus[i].Arrival, aus[i-1].Arrival)
				}
			}
		})
	}
}

func TestFrozenClockCountsRepeats(t *testing.T) {
	cam := camera(t, "reschange.h264", fakecam.Config{})
	cam.FreezeClock(true)
	p := rtsptest.Play(t, cam.URL())
	rtsptest.WaitPictures(t, p, 5, 5*time.Second)
	if st := p.Stats(); st.Repeated == 0 || st.Backwards != 0 {
		t.Errorf("frozen clock: %+v, want repeats and nothing backwards", st)
	}
}

func TestPlayUDP(t *testing.T) {
	cam := camera(t, "reschange.h264", fakecam.Config{UDP: true})
	p := rtsptest.PlayConfig(t, rtspclient.Config{URL: cam.URL(), UDP: true})
	rtsptest.WaitPictures(t, p, 5, 5*time.Second)
	if !p.Session().UDP {
		t.Errorf("session %+v, want UDP", p.Session())
	}
}

func TestPlayRetriesUntilPublished(t *testing.T) {
	cam := camera(t, "reschange.h264", fakecam.Config{})
	cam.Reboot(700 * time.Millisecond)
	if _, err := rtspclient.Play(rtspclient.Config{URL: cam.URL()}); err == nil {
		t.Fatal("played a rebooting camera without retrying")
	}
	p := rtsptest.PlayConfig(t, rtspclient.Config{URL: cam.URL(), Retry: 5 * time.Second})
	rtsptest.WaitPictures(t, p, 5, 5*time.Second)
}

func TestPlayAlwaysPlaysAgain(t *testing.T) {
	cam := camera(t, "reschange.h264", fakecam.Config{})
	before := goleak.IgnoreCurrent()
	p, err := rtspclient.PlayAlways(rtspclient.Config{URL: cam.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rtsptest.WaitPictures(t, p, 5, 5*time.Second)
	p.Drop()
	if !waitFor(5*time.Second, func() bool { return p.Stats().Sessions >= 2 }) {
		t.Fatalf("not played again after Drop: %+v", p.Stats())
	}
	cam.Kick() // the server ends the session
	if !waitFor(5*time.Second, func() bool { return p.Stats().Sessions >= 3 }) {
		t.Fatalf("not played again after the server closed the session: %+v", p.Stats())
	}
	rtsptest.WaitPictures(t, p, 5, 5*time.Second)
	if st := p.Stats(); st.Backwards != 0 {
		t.Errorf("a new session counted as going backwards: %+v", st)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, before) // Close waited for everything
}

func TestDescribe(t *testing.T) {
	cam := camera(t, "reschange.h264", fakecam.Config{Audio: true})
	d, err := rtspclient.Describe(cam.URL())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Medias) != 2 || d.Medias[0].Type != "video" || d.Medias[0].Codec != rtspclient.H264 ||
		len(d.Medias[0].SPS) == 0 || len(d.Medias[0].PPS) == 0 || d.Medias[1].Codec != "G711" {
		t.Errorf("description %+v", d.Medias)
	}
	if _, err := rtspclient.Describe(cam.URL() + "nothere"); err == nil {
		t.Error("described a path that does not exist")
	}
}
