package transcode

import (
	"testing"
	"time"

	"github.com/camgate/camgate/codec"
)

// TestTimestampsForYears: x264 and the H.264 decoder carry a picture's time
// unchanged, one frame apart and rising (PTS == DTS), at 30 hours, one year
// and ten years of stream time, the clock of a box that runs for years.
func TestTimestampsForYears(t *testing.T) {
	day := 24 * time.Hour
	for _, at := range []time.Duration{30 * time.Hour, 365 * day, 10 * 365 * day} {
		enc, err := NewEncoder(EncoderConfig{Width: 64, Height: 64, FPS: 10})
		if err != nil {
			t.Fatal(err)
		}
		dec := newDecoder(t, codec.H264)
		f, err := NewFrame(64, 64)
		if err != nil {
			t.Fatal(err)
		}
		var encoded, decoded []time.Duration
		for i := 0; i < 20; i++ {
			f.SetPTS(at + time.Duration(i)*100*time.Millisecond)
			err := enc.Encode(f, func(au *codec.AccessUnit) error {
				if dts := codec.Duration(enc.pkt.dts(), codec.VideoClockRate); dts != au.PTS {
					t.Errorf("at %v: dts %v, pts %v", at, dts, au.PTS)
				}
				encoded = append(encoded, au.PTS)
				return dec.Decode(au, func(out *Frame) error {
					decoded = append(decoded, out.PTS())
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
		enc.Close()
		for name, got := range map[string][]time.Duration{"encoded": encoded, "decoded": decoded} {
			if len(got) != 20 {
				t.Fatalf("at %v: %d pictures %s, want 20", at, len(got), name)
			}
			for i, pts := range got {
				if want := at + time.Duration(i)*100*time.Millisecond; pts != want {
					t.Fatalf("at %v: picture %d %s at %v, want %v", at, i, name, pts, want)
				}
			}
		}
	}
}
