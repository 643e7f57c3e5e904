package main

import "github.com/camgate/camgate/pipeline"

// setSubURL gives the camera its own sub stream: camgate decodes the grid
// tiles from it and passes it through as <camera>/sub, since it matches the
// sub output (640x360@10 H.264).
func setSubURL(c *pipeline.CameraConfig, url string) error {
	c.SubURL = url
	return nil
}
