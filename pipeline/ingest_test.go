package pipeline

import (
	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/stream"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/rtsp"
)

// TestIngestDropsToNextKeyframe: when the decoder falls behind and its queue
// is full, ingest drops access units, and keeps dropping until a keyframe, so
// that the decoder never gets a picture whose reference was dropped.
func TestIngestDropsToNextKeyframe(t *testing.T) {
	c := &Camera{log: zerolog.Nop(), outs: []*output{{}}}
	c.feed.init(c, "main", nil, c.log, 2)
	h := (*sourceHandler)(&c.feed)
	if err := h.OnSession(rtsp.SessionInfo{Codec: codec.H264}); err != nil {
		t.Fatal(err)
	}
	send := func(key bool) {
		h.OnUnit(stream.Unit{Kind: stream.Video, Data: [][]byte{{0x41}}, PTS: time.Duration(len(c.queue)) * time.Millisecond, Keyframe: key})
	}
	send(true)  // queued
	send(false) // queued: the queue is full now
	send(false) // dropped
	send(false) // dropped: not a keyframe
	if got := c.queueDrops.Load(); got != 2 || len(c.queue) != 2 {
		t.Fatalf("drops %d, queued %d; want 2 and 2", got, len(c.queue))
	}
	<-c.queue
	<-c.queue   // the decoder catches up
	send(false) // still dropped: its reference is gone
	if got := c.queueDrops.Load(); got != 3 || len(c.queue) != 0 {
		t.Fatalf("after catching up: drops %d, queued %d; want 3 and 0", got, len(c.queue))
	}
	send(true) // a keyframe: decoding resumes
	send(false)
	if got := c.queueDrops.Load(); got != 3 || len(c.queue) != 2 {
		t.Fatalf("after the keyframe: drops %d, queued %d; want 3 and 2", got, len(c.queue))
	}
}

// TestMainTranscode re-encodes main at the configured size.
func TestMainTranscode(t *testing.T) {
	cam := startFake(t, loadClip(t, "cam720p25.hevc"), false)
	main := OutputConfig{Enabled: true, Width: 960, Height: 540, FPS: 15}
	main.Encoder.Bitrate = 1_000_000
	g := startGateway(t, CameraConfig{Name: "c", URL: cam.URL(), Main: MainConfig{Transcode: true, Output: main}})
	waitState(t, g.Camera("c"), StateReady, patience)
	if got := ffprobeStreams(t, g.Server().URL("c/main")); len(got) != 1 || got[0] != "h264,960,540" {
		t.Errorf("ffprobe main: %q, want [h264,960,540] (H.265 camera transcoded to H.264)", got)
	}
	if st := g.Camera("c").Stats(); st.Main != nil || len(st.Outputs) != 1 || st.Outputs[0].Name != "main" {
		t.Errorf("stats: %+v", st)
	}
}
