package fakecam_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/rtsp/rtspclient"
	"github.com/camgate/camgate/rtsp/rtsptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t *testing.T, clip string) (*fakecam.Camera, fakecam.Clip) {
	t.Helper()
	c, err := fakecam.LoadClip("../../testdata/" + clip)
	if err != nil {
		t.Fatal(err)
	}
	cam, err := fakecam.Start(fakecam.Config{Clip: c})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cam.Close)
	return cam, c
}

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

func TestLoadClip(t *testing.T) {
	for _, name := range []string{"reschange.h264", "cam720p25.hevc"} {
		c, err := fakecam.LoadClip("../../testdata/" + name)
		if err != nil || len(c.AccessUnits) < 2 || c.HEVC != (filepath.Ext(name) == ".hevc") {
			t.Errorf("%s: %d access units, HEVC %v, %v", name, len(c.AccessUnits), c.HEVC, err)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.h264")
	if err := os.WriteFile(bad, []byte("not a video"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fakecam.LoadClip(bad); err == nil {
		t.Error("loaded a file that is not Annex-B")
	}
	if _, err := fakecam.Start(fakecam.Config{}); err == nil {
		t.Error("started a camera without a clip")
	}
}

func TestRebootComesBackOnTheSameAddress(t *testing.T) {
	cam, _ := start(t, "reschange.h264")
	url := cam.URL()
	p := rtsptest.Play(t, url)
	rtsptest.WaitPictures(t, p, 3, 5*time.Second)
	if total, open := cam.Sessions(); total != 1 || open != 1 {
		t.Errorf("sessions %d total, %d open; want 1, 1", total, open)
	}
	cam.Reboot(500 * time.Millisecond)
	if _, err := rtspclient.Describe(url); err == nil {
		t.Error("a rebooting camera answered")
	}
	if !waitFor(5*time.Second, func() bool { _, open := cam.Sessions(); return open == 0 }) {
		t.Error("the reader's session outlived the reboot")
	}
	if !waitFor(5*time.Second, func() bool { _, err := rtspclient.Describe(url); return err == nil }) {
		t.Fatal("not back 5 s after a reboot of 500 ms")
	}
	if cam.URL() != url {
		t.Errorf("back on %s, was %s", cam.URL(), url)
	}
	rtsptest.WaitPictures(t, rtsptest.Play(t, url), 3, 5*time.Second)
}

func TestStallKeepsTheSessionButSendsNothing(t *testing.T) {
	cam, _ := start(t, "reschange.h264")
	p := rtsptest.Play(t, cam.URL())
	rtsptest.WaitPictures(t, p, 3, 5*time.Second)
	cam.Stall(true)
	time.Sleep(200 * time.Millisecond) // what was on its way
	n := p.Stats().Pictures
	time.Sleep(500 * time.Millisecond)
	if got := p.Stats().Pictures; got != n {
		t.Errorf("%d pictures during a stall", got-n)
	}
	if _, open := cam.Sessions(); open != 1 {
		t.Errorf("%d sessions open during a stall, want 1", open)
	}
	cam.Stall(false)
	rtsptest.WaitPictures(t, p, 3, 5*time.Second)
}

// TestSetClipChangesResolutionInBand: new parameter sets arrive in the same
// session.
func TestSetClipChangesResolutionInBand(t *testing.T) {
	cam, _ := start(t, "cam1080p25.h264")
	other, err := fakecam.LoadClip("../../testdata/reschange.h264")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	spss := map[string]bool{}
	p := rtsptest.PlayConfig(t, rtspclient.Config{URL: cam.URL(), OnAccessUnit: func(au rtspclient.AccessUnit) {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range au.NALUs {
			if n[0]&0x1f == 7 {
				spss[string(n)] = true
			}
		}
	}})
	seen := func() int { mu.Lock(); defer mu.Unlock(); return len(spss) }
	if !waitFor(5*time.Second, func() bool { return seen() > 0 }) {
		t.Fatal("no SPS within 5 s")
	}
	before := seen()
	cam.SetClip(other)
	if !waitFor(5*time.Second, func() bool { return seen() > before }) {
		t.Error("no new SPS within 5 s of the clip change")
	}
	if st := p.Stats(); st.Sessions != 1 {
		t.Errorf("%d sessions, want the same one", st.Sessions)
	}
}
