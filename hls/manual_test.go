package hls

import (
	"os"
	"testing"
	"time"

	"github.com/camgate/camgate/stream"
)

func TestManualServe(t *testing.T) {
	if os.Getenv("HLS_MANUAL") == "" {
		t.Skip()
	}
	hub := stream.NewHub()
	defer hub.Close()
	publishClip(t, hub, "grid/demo", "cam1080p25.h264")
	s := newTestServer(t, hub, func(c *Config) { c.Address = "127.0.0.1:18888" })
	t.Log(s.URL("grid/demo"))
	time.Sleep(90 * time.Second)
}
