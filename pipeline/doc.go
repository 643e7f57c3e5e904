// Package pipeline turns cameras into streams: one supervised goroutine tree
// per camera (Camera), the gateway that owns the RTSP server and the cameras
// (Gateway), their configuration and their statistics.
//
// It is where the transcode and rtsp packages meet, in plain Go types.
package pipeline
