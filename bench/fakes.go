package bench

import (
	"fmt"

	"github.com/camgate/camgate/rtsp/fakecam"
)

// FakeCameraURL is where StartFakeCameras puts camera i (from 0).
func FakeCameraURL(port, i int) string {
	return fmt.Sprintf("rtsp://127.0.0.1:%d/cam%d", port+i, i+1)
}

// StartFakeCameras serves n cameras playing the clip, on ports port, port+1, …
func StartFakeCameras(n int, clipPath string, port int) (stop func(), err error) {
	clip, err := fakecam.LoadClip(clipPath)
	if err != nil {
		return nil, err
	}
	var cams []*fakecam.Camera
	stop = func() {
		for _, c := range cams {
			c.Close()
		}
	}
	for i := 0; i < n; i++ {
		c, err := fakecam.Start(fakecam.Config{Clip: clip, Path: fmt.Sprintf("cam%d", i+1), Address: fmt.Sprintf("127.0.0.1:%d", port+i)})
		if err != nil {
			stop()
			return nil, err
		}
		cams = append(cams, c)
	}
	return stop, nil
}
