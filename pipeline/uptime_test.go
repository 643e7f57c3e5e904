package pipeline

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/internal/clockhook"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/transcode"
)

// overflowAt is where `pts * 90000` in int64 nanoseconds overflows: 28 h
// 28 min of stream time, the day-two failure of a naive clock.
const overflowAt = time.Duration(math.MaxInt64 / codec.VideoClockRate)

// TestClocksAcrossDayTwoAndRTPWraps runs a camera, its sub stream and a grid
// whose time lines start 12 s before the 28.5-hour mark, with a camera whose
// 32-bit RTP clock wraps 15 s after it starts and readers whose RTP clocks
// wrap 4 s after the mark. Debian's ffmpeg reads the sub and the grid across
// all three boundaries and prints no timestamp warning; ffprobe lists
// timestamps one frame apart, never repeating, and apart by more than two
// frames only when pictures were lost and as much time passed.
func TestClocksAcrossDayTwoAndRTPWraps(t *testing.T) {
	t.Parallel() // mostly waiting on a reader: it overlaps the other long tests
	timelineStart = overflowAt - 12*time.Second
	clockhook.RTPBase = func() uint32 { return uint32(-codec.Ticks(overflowAt+4*time.Second, codec.VideoClockRate)) }
	t.Cleanup(func() { timelineStart, clockhook.RTPBase = 0, nil })

	const cameraWrapAfter = 15 * time.Second
	started := time.Now()
	cam, err := fakecam.Start(fakecam.Config{Clip: loadClip(t, "reschange.h264"),
		FirstTimestamp: uint32(1<<32 - codec.Ticks(cameraWrapAfter, codec.VideoClockRate))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cam.Close)
	grid := GridConfig{Name: "wall", Cameras: []string{"c"}, Output: OutputConfig{Width: 320, Height: 180, FPS: 10,
		Encoder: transcode.EncoderConfig{Preset: "ultrafast", Bitrate: 200_000}}}
	g := startGatewayWithGrids(t, []CameraConfig{{Name: "c", URL: cam.URL(), Sub: DefaultSub}}, grid)
	waitState(t, g.Camera("c"), StateReady, patience)

	paths := []string{"c/sub", "grid/wall"}
	readers := map[string]*ffmpegReader{}
	for _, p := range paths {
		readers[p] = readWithFFmpeg(t, g.Server().URL(p))
	}
	for _, p := range paths {
		readers[p].waitPackets(1)
	}
	if since := time.Since(started); since > cameraWrapAfter-time.Second {
		t.Fatalf("the readers started %v after the camera, after its RTP clock wrapped: the machine is too busy for this test", since.Round(time.Millisecond))
	}

	// Read until both time lines are 10 s past the mark, as camgate's own
	// hub readers see them.
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	for _, p := range paths {
		r, err := g.Hub().Stream(p).AddReader()
		if err != nil {
			t.Fatal(err)
		}
		for {
			u, err := r.Read(ctx)
			if err != nil {
				r.Close()
				t.Fatalf("%s: %v before its time line passed %v", p, err, overflowAt+10*time.Second)
			}
			if u.PTS >= overflowAt+10*time.Second {
				break
			}
		}
		r.Close()
	}
	for _, p := range paths {
		readers[p].waitSpan(14)
		readers[p].stop()
	}
	if time.Since(started) < cameraWrapAfter {
		t.Fatal("the camera's clock had not wrapped yet")
	}

	for _, p := range paths {
		warnings, packets := readers[p].result()
		if bad := timestampWarnings(warnings); len(bad) > 0 {
			t.Errorf("%s: ffmpeg printed %d timestamp warnings:\n%s", p, len(bad), strings.Join(bad[:min(len(bad), 10)], "\n"))
		}
		// 10 fps: steps of 0.1 s; more only when a busy machine lost
		// pictures, by no more than the time that passed.
		if bad := unexplainedSteps(packets, 0.1, 0.5); len(bad) > 0 {
			t.Errorf("%s: %d of %d steps are not one or two frames:\n%s", p, len(bad), len(packets), strings.Join(bad[:min(len(bad), 10)], "\n"))
		}
		span := 0.0
		if len(packets) > 0 {
			span = packets[len(packets)-1].dts - packets[0].dts
		}
		t.Logf("%s: %d packets over %.1f s of stream time, across the camera's RTP wrap, the 28.5-hour mark and the reader's RTP wrap", p, len(packets), span)
		if span < 14 {
			t.Errorf("%s: the reader saw %.1f s, less than the 14 s that span the boundaries", p, span)
		}
	}
}
