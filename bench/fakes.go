package bench

import (
	"fmt"

	"github.com/camgate/camgate/rtsp/fakecam"
)

// FakeCameraURL is where StartFakeCameras puts camera i (from 0).
func FakeCameraURL(port, i int) string {
	return fmt.Sprintf("rtsp://127.0.0.1:%d/cam%d", port+i, i+1)
}

// FakeSubPortOffset is how far above the cameras' ports StartFakeCameraSubs
// serves their own sub streams: a fake camera serves one path, so a camera's
// second stream is a second fake camera, at port+FakeSubPortOffset+i.
const FakeSubPortOffset = 100

// FakeCameraSubURL is where StartFakeCameraSubs puts camera i's own sub
// stream (from 0).
func FakeCameraSubURL(port, i int) string {
	return fmt.Sprintf("rtsp://127.0.0.1:%d/cam%d/sub", port+FakeSubPortOffset+i, i+1)
}

// StartFakeCameras serves n cameras playing the clip at 25 fps, on ports
// port, port+1, …
func StartFakeCameras(n int, clipPath string, port int) (stop func(), err error) {
	return StartFakeCamerasFPS(n, clipPath, 25, port)
}

// StartFakeCamerasFPS serves n cameras playing the clip at fps frames per
// second, on ports port, port+1, … (FakeCameraURL).
func StartFakeCamerasFPS(n int, clipPath string, fps, port int) (stop func(), err error) {
	_, stop, err = StartFakeCamerasAt(n, clipPath, fps, port, false)
	return stop, err
}

// StartFakeCamerasAt serves n cameras playing the clip at fps frames per
// second and returns their URLs. Port 0 puts them on ephemeral ports, where
// several runs on one machine do not collide; another port puts them at
// FakeCameraURL or, with sub, at FakeCameraSubURL: cameras that serve the
// cameras' own sub streams (path camI/sub).
func StartFakeCamerasAt(n int, clipPath string, fps, port int, sub bool) (urls []string, stop func(), err error) {
	return startFakes(n, clipPath, fps, func(i int) (string, string) {
		addr, path := "127.0.0.1:0", fmt.Sprintf("cam%d", i+1)
		if sub {
			path += "/sub"
		}
		switch {
		case port != 0 && sub:
			addr = fmt.Sprintf("127.0.0.1:%d", port+FakeSubPortOffset+i)
		case port != 0:
			addr = fmt.Sprintf("127.0.0.1:%d", port+i)
		}
		return addr, path
	})
}

func startFakes(n int, clipPath string, fps int, where func(i int) (addr, path string)) (urls []string, stop func(), err error) {
	clip, err := fakecam.LoadClip(clipPath)
	if err != nil {
		return nil, nil, err
	}
	var cams []*fakecam.Camera
	stop = func() {
		for _, c := range cams {
			c.Close()
		}
	}
	for i := 0; i < n; i++ {
		addr, path := where(i)
		c, err := fakecam.Start(fakecam.Config{Clip: clip, Path: path, Address: addr, FPS: fps})
		if err != nil {
			stop()
			return nil, nil, err
		}
		cams = append(cams, c)
		urls = append(urls, c.URL())
	}
	return urls, stop, nil
}
