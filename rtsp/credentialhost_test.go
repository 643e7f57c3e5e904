package rtsp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/rtsp/rtsptest"
	"github.com/camgate/camgate/stream"
)

type nopHandler struct{}

func (nopHandler) OnSession(rtsp.SessionInfo) error { return nil }
func (nopHandler) OnUnit(stream.Unit)               {}

// TestRedirectKeepsCredentials: a camera that redirects to another host does
// not get camgate to send that host the camera's credentials; without
// credentials, the redirect is followed.
func TestRedirectKeepsCredentials(t *testing.T) {
	elsewhere := rtsptest.StartAuthRecorder(t, "")
	camera := rtsptest.StartAuthRecorder(t, elsewhere.URL("stolen"))

	run := func(url string) error {
		src, err := rtsp.NewSource(rtsp.SourceConfig{URL: url, ConnectTimeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return src.Run(ctx, nopHandler{})
	}

	err := run(strings.Replace(camera.URL("s1"), "rtsp://", "rtsp://admin:s3cret@", 1))
	if err == nil || !strings.Contains(err.Error(), "redirected to "+elsewhere.Addr()) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("redirect with credentials: %v, want an error naming the other host", err)
	}
	if reqs, _ := elsewhere.Requests(); len(reqs) != 0 {
		t.Errorf("the other host received %d requests (%+v), want none", len(reqs), reqs)
	}
	if reqs, _ := camera.Requests(); len(reqs) == 0 || reqs[len(reqs)-1].Method != "DESCRIBE" {
		t.Errorf("the camera received %+v, want a DESCRIBE", reqs)
	}

	// Without credentials there is nothing to keep: the redirect is followed
	// (and the other host asks for credentials camgate does not have).
	if err := run(camera.URL("s1")); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("redirect without credentials: %v, want the other host's 401", err)
	}
	reqs, _ := elsewhere.Requests()
	if len(reqs) == 0 {
		t.Fatal("the redirect without credentials was not followed")
	}
	for _, r := range reqs {
		if r.Authorization != "" {
			t.Errorf("the other host received Authorization %q", r.Authorization)
		}
	}
}
