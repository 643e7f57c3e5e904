package rtsp

import (
	"bytes"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/pion/rtp"

	"github.com/camgate/camgate/stream"
)

type unitRecorder struct{ units []stream.Unit }

func (r *unitRecorder) OnSession(SessionInfo) error { return nil }
func (r *unitRecorder) OnUnit(u stream.Unit)        { r.units = append(r.units, u) }

// A camera's AAC track: the description carries its AudioSpecificConfig,
// its units the AAC access units (for HLS), and still the RTP packets as
// they came (for RTSP readers).
func TestSourceSessionDepacketizesAAC(t *testing.T) {
	conf := &mpeg4audio.AudioSpecificConfig{Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 16000, ChannelConfig: 1}
	aac := &format.MPEG4Audio{PayloadTyp: 97, Config: conf, SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3}
	h264 := &format.H264{PayloadTyp: 96, PacketizationMode: 1,
		SPS: []byte{0x67, 0x64, 0x00, 0x28, 0xac, 0xb2, 0x00, 0xf0, 0x04, 0x4f, 0xcb, 0x80, 0x88}, PPS: []byte{0x68, 0xeb, 0xcc, 0xb2, 0x2c}}
	desc := &description.Session{Medias: []*description.Media{
		{Type: description.MediaTypeVideo, Formats: []format.Format{h264}},
		{Type: description.MediaTypeAudio, Formats: []format.Format{aac}},
	}}
	rec := &unitRecorder{}
	ss, info, err := newSourceSession(&Source{}, desc, rec)
	if err != nil {
		t.Fatal(err)
	}
	tr := info.Description.Tracks[1]
	want, _ := conf.Marshal()
	if tr.Kind != stream.Audio || tr.Codec != "MPEG-4 Audio" || tr.ClockRate != 16000 || !bytes.Equal(tr.Config, want) {
		t.Fatalf("AAC track: %+v, want config %x", tr, want)
	}
	if info.Description.Tracks[0].Config != nil {
		t.Error("the video track got a config")
	}

	enc, err := aac.CreateEncoder()
	if err != nil {
		t.Fatal(err)
	}
	aus := [][]byte{bytes.Repeat([]byte{1}, 40), bytes.Repeat([]byte{2}, 30)}
	pkts, err := enc.Encode(aus)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		ss.onPacket(desc.Medias[1], aac, p, 16000, true)
	}
	if len(rec.units) != len(pkts) {
		t.Fatalf("%d units for %d packets", len(rec.units), len(pkts))
	}
	u := rec.units[0]
	if u.Kind != stream.Audio || u.Track != 1 || u.PTS != time.Second || len(u.Data) != 2 ||
		!bytes.Equal(u.Data[0], aus[0]) || !bytes.Equal(u.Data[1], aus[1]) {
		t.Fatalf("unit: %+v", u)
	}
	if native, ok := u.Native.([]*rtp.Packet); !ok || len(native) != 1 || native[0] != pkts[0] {
		t.Fatalf("the unit does not carry its RTP packet: %#v", u.Native)
	}

	// A packet that is not RFC 3640 is counted, never a crash; RTSP readers
	// still get it.
	rec.units = nil
	ss.onPacket(desc.Medias[1], aac, &rtp.Packet{Header: rtp.Header{PayloadType: 97, Marker: true}, Payload: []byte{0xff}}, 0, true)
	if len(rec.units) != 1 || len(rec.units[0].Data) != 0 || rec.units[0].Native == nil {
		t.Fatalf("broken packet: %+v", rec.units)
	}
}
