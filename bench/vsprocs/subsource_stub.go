//go:build !camgate_suburl

package main

import (
	"errors"

	"github.com/camgate/camgate/pipeline"
)

// setSubURL would give the camera its own sub stream, but this branch's
// pipeline.CameraConfig has no SubURL yet. MERGE: once it has, delete this
// file and the build constraint of subsource.go.
func setSubURL(*pipeline.CameraConfig, string) error {
	return errors.New("-camera-sub: pipeline.CameraConfig.SubURL does not exist in this build (see bench/vsprocs/subsource.go)")
}
