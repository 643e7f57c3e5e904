// Package demo is what `camgate run` serves without a configuration: fake
// cameras inside the process, playing synthetic camera-like video over real
// RTSP, and the configuration that pulls them through the gateway like real
// ones. Its clips also serve cmd/fakecam, the soak test and the tests.
package demo

import (
	"fmt"
	"strings"

	"github.com/camgate/camgate/rtsp/fakecam"
)

// Names are the names of the demo's cameras, shown in its grid.
var Names = []string{"demo", "garden", "street", "garage"}

// Demo is the set of fake cameras behind `camgate run` without configuration.
type Demo struct {
	cams []*fakecam.Camera
}

// Start starts one fake camera per name, on 127.0.0.1, each with its own
// tint, and returns the configuration that pulls them through the real
// network path (every camera with a sub stream, and a grid of all of them
// named "demo"), as the text of a configuration file.
func Start(names ...string) (*Demo, string, error) {
	d := &Demo{}
	var b strings.Builder
	b.WriteString("# The demo: fake cameras inside camgate, pulled over RTSP like real ones.\ncameras:\n")
	for k, name := range names {
		clip, err := Clip(1280, 720, 25, 8, 0, k*360/max(len(names), 1)+30)
		if err != nil {
			d.Close()
			return nil, "", fmt.Errorf("demo clip: %w", err)
		}
		cam, err := fakecam.Start(fakecam.Config{Clip: clip, Path: name, Audio: true})
		if err != nil {
			d.Close()
			return nil, "", err
		}
		d.cams = append(d.cams, cam)
		fmt.Fprintf(&b, "  %s:\n    url: %s\n", name, cam.URL())
	}
	fmt.Fprintf(&b, "grids:\n  demo:\n    cameras: [%s]\n", strings.Join(names, ", "))
	return d, b.String(), nil
}

// Cameras returns the fake cameras, in the order of the names given.
func (d *Demo) Cameras() []*fakecam.Camera { return d.cams }

// Close stops the fake cameras.
func (d *Demo) Close() {
	for _, c := range d.cams {
		c.Close()
	}
}
