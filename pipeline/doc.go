// Package pipeline turns cameras into streams: one supervised goroutine tree
// per camera (Camera), the gateway that owns the RTSP server and the cameras
// (Gateway), their configuration and their statistics.
//
// It is where the transcode and rtsp packages meet, in plain Go types.
//
// The configuration here is typed Go (Config and what it holds), which the
// gateway runs and checks; reading it from a file, with environment
// overrides and YAML edits, is package conf's. The built-in demo is package
// demo's.
package pipeline
