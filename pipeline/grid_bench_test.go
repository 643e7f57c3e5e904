package pipeline

import (
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/stream"
)

// BenchmarkGrid4x4 measures one output picture of a 4x4 grid at 1280x720:
// copying 16 live tiles into the canvas and encoding it (x264 veryfast,
// 2 Mbit/s). Scaling the tiles is the cameras' work, and RTP packetization
// (the RTSP library's, which allocates per packet) happens only for readers;
// neither is counted here.
func BenchmarkGrid4x4(b *testing.B) { benchmarkGrid(b, 16) }

// BenchmarkGridTiles is BenchmarkGrid4x4 for 4, 9, 16 and 25 cameras in the
// same 1280×720 picture: how the grid's own cost grows with its cameras.
func BenchmarkGridTiles(b *testing.B) {
	for _, n := range []int{4, 9, 16, 25} {
		b.Run(fmt.Sprintf("%d", n), func(b *testing.B) { benchmarkGrid(b, n) })
	}
}

func benchmarkGrid(b *testing.B, n int) {
	hub := stream.NewHub()
	defer hub.Close()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("c%d", i)
	}
	g, err := startGrid(b.Context(), GridConfig{Name: "bench", Cameras: names}, hub, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	defer g.stop()
	cam := &Camera{}
	cam.stateNow.Store(int32(StateReady))
	for i, s := range g.slots {
		s.cam.Store(cam)
		s.stall.Store(int64(time.Hour))
		s.updated = time.Now()
		// A different picture per tile, with detail, so the encoder has work.
		tp, stride := s.tile.Plane(0)
		for y := 0; y < s.h; y++ {
			for x := 0; x < s.w; x++ {
				tp[y*stride+x] = byte(x*(i+1) ^ y*3)
			}
		}
	}
	start := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now := time.Now()
		if _, err := g.draw(now); err != nil {
			b.Fatal(err)
		}
		if err := g.encode(now.Sub(start)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
