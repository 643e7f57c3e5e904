package main

import (
	"github.com/rs/zerolog"

	"github.com/camgate/camgate/hls"
	"github.com/camgate/camgate/stream"
)

// hlsServer is the gateway's LL-HLS listener, with its defaults (1 s
// segments, 200 ms parts).
type hlsServer struct{ *hls.Server }

func startHLS(hub *stream.Hub) (*hlsServer, error) {
	s, err := hls.NewServer(hls.Config{Address: "127.0.0.1:0", Log: zerolog.Nop()}, hub)
	if err != nil {
		return nil, err
	}
	return &hlsServer{s}, nil
}

// base is the listener's URL, to which a stream's path/index.m3u8 is added.
func (s *hlsServer) base() string { return "http://" + s.Addr().String() + "/" }
