package fakecam_test

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/rtsp/rtspclient"
	"github.com/camgate/camgate/rtsp/rtsptest"
)

// TestRebootReportsListenAndStartsWithKeyframe: OnListen tells when the port
// listens again after a reboot (it accepts connections from then on, and not
// before the downtime), and the first session played after the reboot gets
// a keyframe first, though the clip's keyframes are a second apart.
func TestRebootReportsListenAndStartsWithKeyframe(t *testing.T) {
	clip, err := fakecam.LoadClip("../../testdata/reschange.h264")
	if err != nil {
		t.Fatal(err)
	}
	listens := make(chan time.Time, 4)
	cam, err := fakecam.Start(fakecam.Config{Clip: clip, OnListen: func(at time.Time) { listens <- at }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cam.Close)
	<-listens
	// Play a while, so that the clip is mid-GOP when the camera reboots.
	p := rtsptest.Play(t, cam.URL())
	rtsptest.WaitPictures(t, p, 10, 10*time.Second)
	p.Close()

	const down = 300 * time.Millisecond
	rebooted := time.Now()
	cam.Reboot(down)
	var at time.Time
	select {
	case at = <-listens:
	case <-time.After(30 * time.Second):
		t.Fatal("no OnListen after the reboot")
	}
	if at.Sub(rebooted) < down {
		t.Errorf("listening again %v after the reboot, want at least %v", at.Sub(rebooted), down)
	}
	conn, err := net.DialTimeout("tcp", cam.Addr(), time.Second)
	if err != nil {
		t.Fatalf("OnListen called, but the port refuses: %v", err)
	}
	conn.Close()

	var mu sync.Mutex
	var first *rtspclient.AccessUnit
	rtsptest.PlayConfig(t, rtspclient.Config{URL: cam.URL(), OnAccessUnit: func(au rtspclient.AccessUnit) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = &au
		}
	}})
	if !waitFor(10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return first != nil }) {
		t.Fatal("no picture after the reboot")
	}
	mu.Lock()
	defer mu.Unlock()
	// The clip's first picture: not merely a keyframe (a reader's PTS only
	// starts at one anyway), the one the clip starts with.
	if !first.Keyframe || !bytes.Equal(largest(first.NALUs), largest(clip.AccessUnits[0])) {
		t.Error("the first picture after the reboot is not the clip's first keyframe")
	}
}

func largest(nalus [][]byte) []byte {
	var l []byte
	for _, n := range nalus {
		if len(n) > len(l) {
			l = n
		}
	}
	return l
}
