package bench

import (
	"fmt"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"

	"github.com/camgate/camgate/rtsp/rtsptest"
)

// FakeCameraURL is where StartFakeCameras puts camera i (from 0).
func FakeCameraURL(port, i int) string {
	return fmt.Sprintf("rtsp://127.0.0.1:%d/cam%d", port+i, i+1)
}

// StartFakeCameras serves n cameras playing the clip, on ports port, port+1, …
func StartFakeCameras(n int, clipPath string, port int) (stop func(), err error) {
	clip, err := rtsptest.LoadClip(clipPath)
	if err != nil {
		return nil, err
	}
	var cams []*rtsptest.Camera
	stop = func() {
		for _, c := range cams {
			c.Close()
		}
	}
	for i := 0; i < n; i++ {
		c, err := rtsptest.Start(rtsptest.Config{Clip: clip, Path: fmt.Sprintf("cam%d", i+1), Address: fmt.Sprintf("127.0.0.1:%d", port+i)})
		if err != nil {
			stop()
			return nil, err
		}
		cams = append(cams, c)
	}
	return stop, nil
}

// Play starts an RTSP reader of url (TCP) that discards what it gets,
// retrying for up to 10 s while the path is not published yet.
func Play(url string) (*gortsplib.Client, error) {
	u, err := base.ParseURL(url)
	if err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		tcp := gortsplib.ProtocolTCP
		c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp}
		if err = c.Start(); err != nil {
			return nil, err
		}
		var desc *description.Session
		desc, _, err = c.Describe(u)
		if err == nil {
			err = c.SetupAll(desc.BaseURL, desc.Medias)
		}
		if err == nil {
			c.OnPacketRTPAny(func(*description.Media, format.Format, *rtp.Packet) {})
			_, err = c.Play(nil)
		}
		if err == nil {
			return c, nil
		}
		c.Close()
		if try == 100 {
			return nil, fmt.Errorf("%s: %w", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
