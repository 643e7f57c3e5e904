package rtsp

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"

	"github.com/camgate/camgate/stream"
)

// relayTo is the smallest SourceHandler a gateway has: it relays a camera's
// session to a hub stream.
type relayTo struct{ st *stream.Stream }

func (r relayTo) OnSession(i SessionInfo) error { r.st.SetDescription(i.Description); return nil }
func (r relayTo) OnUnit(u stream.Unit)          { r.st.Write(u) }

// relayCamera serves a fake camera's session (video and G.711 audio) through
// a hub stream on an RTSP server, as a passthrough main is.
func relayCamera(t *testing.T) (*Server, *stream.Stream) {
	t.Helper()
	cam := startCamera(t, "reschange.h264", true)
	hub := stream.NewHub()
	t.Cleanup(func() { hub.Close() })
	st, err := hub.Publish("cam/main", stream.PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerConfig{Address: "127.0.0.1:0"}, hub)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	src, err := NewSource(SourceConfig{URL: cam.URL()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, relayTo{st}) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, _, ok := st.Description(); ok {
			return srv, st
		}
		if time.Now().After(deadline) {
			t.Fatal("the camera's session never reached the hub")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A reader that sets up only the video of a stream that also has audio (as
// many NVRs do) gets the video, and the server does not crash writing the
// audio it did not ask for.
func TestReaderOfVideoOnly(t *testing.T) {
	srv, st := relayCamera(t)
	u, err := base.ParseURL(srv.URL("cam/main"))
	if err != nil {
		t.Fatal(err)
	}
	tcp := gortsplib.ProtocolTCP
	c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	desc, _, err := c.Describe(u)
	if err != nil {
		t.Fatal(err)
	}
	if len(desc.Medias) != 2 {
		t.Fatalf("the relayed stream has %d media, want the camera's 2 (video, audio)", len(desc.Medias))
	}
	var h264 *format.H264
	video := desc.FindFormat(&h264)
	if video == nil {
		t.Fatal("no H.264 in the relayed stream")
	}
	if _, err := c.Setup(desc.BaseURL, video, 0, 0); err != nil {
		t.Fatal(err)
	}
	var packets atomic.Int64
	c.OnPacketRTPAny(func(m *description.Media, _ format.Format, _ *rtp.Packet) {
		if m == video {
			packets.Add(1)
		}
	})
	if _, err := c.Play(nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for packets.Load() < 50 {
		if time.Now().After(deadline) {
			t.Fatalf("%d video packets in 20 s", packets.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s := st.Stats(); s.Readers != 1 || s.FramesOut == 0 {
		t.Fatalf("hub stats %+v: want 1 reader and frames out", s)
	}
}
