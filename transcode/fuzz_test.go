package transcode

import (
	"testing"
	"time"

	"github.com/camgate/camgate/codec"
)

// FuzzDecoder feeds the decoder a real keyframe, then the fuzzed access unit
// (Annex-B bytes; the first byte picks H.264 or H.265), then the next real
// access unit. Whatever the bytes, it must neither crash nor hang, and the
// decoder must stay usable.
//
// The seeds are real access units of the test clips, whole and cut.
func FuzzDecoder(f *testing.F) {
	clips := map[bool][][][]byte{false: loadClip(f, "reschange.h264"), true: loadClip(f, "cam720p25.hevc")}
	for hevc, aus := range clips {
		sel := byte(0)
		if hevc {
			sel = 1
		}
		for _, i := range []int{0, 1, 2, 30} {
			var b []byte
			for _, n := range aus[i] {
				b = append(b, 0, 0, 0, 1)
				b = append(b, n...)
			}
			f.Add(append([]byte{sel}, b...))
			f.Add(append([]byte{sel}, b[:len(b)/2]...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		hevc := data[0]&1 == 1
		c := codec.H264
		if hevc {
			c = codec.H265
		}
		aus := clips[hevc]
		d, err := NewDecoder(DecoderConfig{Codec: c})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		drain := func() {
			for i := 0; i < 16; i++ { // bounded: a decoder returns at most a few pictures per unit
				fr, err := d.Receive()
				if fr == nil && err == nil {
					return
				}
			}
		}
		d.Send(unitFor(d, aus[0], 0))
		drain()
		d.Send(unitFor(d, codec.SplitAnnexB(data[1:]), 40*time.Millisecond))
		drain()
		d.Send(unitFor(d, aus[1], 80*time.Millisecond))
		drain()
	})
}
