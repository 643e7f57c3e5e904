package rtsp

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/rtsp/rtsptest"
	"github.com/camgate/camgate/stream"
)

// FuzzDepacketize runs a sequence of RTP packets through the H.264 or H.265
// depacketizer and the keyframe detector. The input is a codec selector byte,
// then packets, each behind a 2-byte length. The seeds are the packets of
// real access units of the test clips.
func FuzzDepacketize(f *testing.F) {
	for i, name := range []string{"reschange.h264", "cam720p25.hevc"} {
		clip, err := fakecam.LoadClip("../testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		var enc interface {
			Encode([][]byte) ([]*rtp.Packet, error)
		}
		if clip.HEVC {
			e, _ := (&format.H265{PayloadTyp: 96}).CreateEncoder()
			enc = e
		} else {
			e, _ := (&format.H264{PayloadTyp: 96, PacketizationMode: 1}).CreateEncoder()
			enc = e
		}
		for _, k := range []int{0, 1, 26} {
			pkts, err := enc.Encode(clip.AccessUnits[k])
			if err != nil {
				f.Fatal(err)
			}
			seed := []byte{byte(i)}
			for _, p := range pkts {
				b, _ := p.Marshal()
				seed = binary.BigEndian.AppendUint16(seed, uint16(len(b)))
				seed = append(seed, b...)
			}
			f.Add(seed)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		hevc := data[0]&1 == 1
		var fm format.Format = &format.H264{PayloadTyp: 96, PacketizationMode: 1}
		c := codec.H264
		if hevc {
			fm, c = &format.H265{PayloadTyp: 96}, codec.H265
		}
		media := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{fm}}
		var units []stream.Unit
		sess, _, err := newSourceSession(&Source{}, &description.Session{Medias: []*description.Media{media}}, unitFunc(func(u stream.Unit) { units = append(units, u) }))
		if err != nil {
			t.Fatal(err)
		}
		rest := data[1:]
		for len(rest) >= 2 {
			n := int(binary.BigEndian.Uint16(rest))
			rest = rest[2:]
			if n > len(rest) {
				n = len(rest)
			}
			var p rtp.Packet
			if p.Unmarshal(rest[:n]) == nil {
				sess.onPacket(media, fm, &p, 0, true)
			}
			rest = rest[n:]
		}
		for _, u := range units {
			if u.Keyframe != codec.IsKeyframe(c, u.Data) {
				t.Fatalf("keyframe flag %v disagrees with the access unit", u.Keyframe)
			}
			if pkts, _ := u.Native.([]*rtp.Packet); len(pkts) == 0 {
				t.Fatal("an access unit without its RTP packets")
			}
		}
	})
}

// unitFunc is a SourceHandler that hands units to a function.
type unitFunc func(stream.Unit)

func (unitFunc) OnSession(SessionInfo) error { return nil }
func (f unitFunc) OnUnit(u stream.Unit)      { f(u) }

// FuzzCameraDescribe plays a malicious camera: it answers DESCRIBE with the
// fuzzed SDP (and everything after with an error). Source.Run must come back
// with an error, within its timeouts, whatever the SDP.
func FuzzCameraDescribe(f *testing.F) {
	f.Add("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=cam\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z0LAHtkDxWhAAAADAEAAAAwDxYuS,aMuMsg==; profile-level-id=42C01E\r\na=control:trackID=0\r\n")
	f.Add("v=0\r\ns=cam\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H265/90000\r\na=fmtp:96 sprop-vps=QAEMAf//; sprop-sps=QgEBAWAAAAMAAAMAAAMAAAMAlqA=; sprop-pps=RAHA8vA8kA==\r\nm=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
	f.Add("v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/0\r\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, sdp string) {
		url := rtsptest.DescribeCamera(t, sdp) // closed with t
		src, err := NewSource(SourceConfig{URL: url, ConnectTimeout: time.Second, ReadTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		start := time.Now()
		if err := src.Run(ctx, &recorder{}); err == nil {
			t.Fatal("a session with a camera that refuses SETUP succeeded")
		}
		if d := time.Since(start); d > 2500*time.Millisecond {
			t.Fatalf("Run took %v against a malicious camera", d)
		}
	})
}
