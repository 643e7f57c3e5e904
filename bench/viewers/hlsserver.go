package main

import (
	"github.com/camgate/camgate/stream"
)

// hlsServer is the LL-HLS listener, when the hls package is there.
type hlsServer struct{}

func startHLS(hub *stream.Hub) (*hlsServer, error) { return &hlsServer{}, nil }
func (*hlsServer) base() string                    { return "" }
func (*hlsServer) Muxers() int                     { return 0 }
func (*hlsServer) Close() error                    { return nil }
