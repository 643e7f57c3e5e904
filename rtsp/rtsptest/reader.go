// Package rtsptest holds the RTSP helpers of tests: rtspclient's viewer,
// started and closed with the test. Only tests import it. The fake camera is
// rtsp/fakecam.
package rtsptest

import (
	"testing"
	"time"

	"github.com/camgate/camgate/rtsp/rtspclient"
)

// Play plays url over TCP until the test ends. It fails the test if the
// stream cannot be played.
func Play(t testing.TB, url string) *rtspclient.Player {
	t.Helper()
	return PlayConfig(t, rtspclient.Config{URL: url})
}

// PlayConfig plays cfg.URL as cfg says until the test ends. It fails the
// test if the stream cannot be played.
func PlayConfig(t testing.TB, cfg rtspclient.Config) *rtspclient.Player {
	t.Helper()
	p, err := rtspclient.Play(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// WaitPictures waits until n more pictures arrived at p after the call, and
// returns when the first of them came; it fails the test after timeout.
func WaitPictures(t testing.TB, p *rtspclient.Player, n int, timeout time.Duration) time.Time {
	t.Helper()
	start := p.Stats().Pictures
	deadline := time.Now().Add(timeout)
	var first time.Time
	for time.Now().Before(deadline) {
		st := p.Stats()
		if st.Pictures > start && first.IsZero() {
			first = st.Last
		}
		if st.Pictures >= start+n {
			return first
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("fewer than %d access units within %v", n, timeout)
	return time.Time{}
}
