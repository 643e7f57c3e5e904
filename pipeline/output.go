package pipeline

import (
	"fmt"
	"sync"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/stream"
	"github.com/camgate/camgate/transcode"
)

// output is a transcoded stream of a camera (its sub stream, or a transcoded
// main): the camera's decoded pictures at the output's frame rate, scaled and
// encoded. It lives as long as the camera: readers stay connected and
// timestamps keep growing across camera reconnects.
type output struct {
	*encodedStream
	gate   FrameRateGate
	alg    transcode.ScaleAlgorithm
	scaler *transcode.Scaler

	// While the camera's own sub stream is passed through (sources.go),
	// the encoder's pictures are dropped, and after it, those before the
	// encoder's next IDR: readers get one stream or the other, each from a
	// keyframe. relayMu orders the switches against the pictures; it is
	// held only around writes to the hub, never across a libav call.
	relayMu  sync.Mutex
	relaying bool
	awaitIDR bool
}

func newOutput(hub *stream.Hub, path, name string, cfg OutputConfig) (*output, error) {
	o := &output{gate: NewFrameRateGate(cfg.FPS), alg: cfg.Scale}
	var err error
	if o.scaler, err = transcode.NewScaler(cfg.Width, cfg.Height, cfg.Scale); err != nil {
		return nil, err
	}
	if o.encodedStream, err = newEncodedStream(hub, path, name, cfg); err != nil {
		o.scaler.Close()
		return nil, err
	}
	o.emit = o.sendEncoded
	return o, nil
}

// push takes a decoded picture; it keeps one every 1/fps and encodes it. The
// frame-rate gate comes before scaling, so dropped pictures cost nothing. It
// returns the picture it scaled (nil if it kept none), which grid tiles of
// the same camera may scale further instead of the full picture (cascade.go);
// it is valid until the next push.
//
// Nobody watching: nothing is scaled or encoded. The first picture after a
// reader joins is then the encoder's next, and an IDR (it is forced on join).
func (o *output) push(f *transcode.Frame) (*transcode.Frame, error) {
	if !o.gate.Accept(f.PTS()) || !o.watched() {
		return nil, nil
	}
	s, err := o.scaler.Scale(f)
	if err != nil {
		o.errors.Add(1)
		return nil, fmt.Errorf("%s: %w", o.name, err)
	}
	if err := o.encode(s); err != nil {
		return s, fmt.Errorf("%s: %w", o.name, err)
	}
	return s, nil
}

// startRelay makes the stream the camera's own sub stream, passed through
// (sources.go): its description gets the camera's parameter sets, with the
// same key, so that readers stay.
func (o *output) startRelay(params codec.ParameterSets, w, h int) {
	o.relayMu.Lock()
	defer o.relayMu.Unlock()
	o.relaying = true
	o.st.SetDescription(stream.H264Description(params, w, h))
}

// sendEncoded hands an encoded picture to the hub, unless the camera's own
// sub stream is what readers get.
func (o *output) sendEncoded(au *codec.AccessUnit) error {
	o.relayMu.Lock()
	defer o.relayMu.Unlock()
	if o.relaying || (o.awaitIDR && !au.Keyframe) {
		return nil
	}
	o.awaitIDR = false
	return o.send(au)
}

// relay writes an access unit of the camera's own sub stream. A keyframe
// without parameter sets in band gets the session's: readers who joined
// while the stream was camgate's own have its parameter sets, not the
// camera's. Its RTP packets are not forwarded as they are: their payload
// type is the camera's, not the one in this stream's description.
func (o *output) relay(u stream.Unit, sess *session) {
	data := u.Data
	if u.Keyframe && !hasParameterSets(data) {
		data = make([][]byte, 0, len(sess.params)+len(u.Data))
		data = append(append(data, sess.params...), u.Data...)
	}
	o.relayMu.Lock()
	o.st.Write(stream.Unit{Kind: stream.Video, PTS: u.PTS, Keyframe: u.Keyframe, Data: data})
	o.relayMu.Unlock()
	o.frames.Add(1)
	o.lastUnix.Store(time.Now().UnixNano())
}

// stopRelay makes the stream camgate's encoder's again, from its next
// picture, an IDR with the encoder's parameter sets in band.
func (o *output) stopRelay() {
	o.relayMu.Lock()
	defer o.relayMu.Unlock()
	o.relaying, o.awaitIDR = false, true
	o.st.SetDescription(stream.H264Description(codec.FromList(codec.H264, o.enc.ParameterSets()), o.width, o.height))
	o.enc.ForceKeyframe()
}

// hasParameterSets tells whether an H.264 access unit carries an SPS and a PPS.
func hasParameterSets(au [][]byte) bool {
	var sps, pps bool
	for _, n := range au {
		switch codec.H264Type(n) {
		case h264.NALUTypeSPS:
			sps = true
		case h264.NALUTypePPS:
			pps = true
		}
	}
	return sps && pps
}

// Close unpublishes the stream and frees the encoder and scaler.
func (o *output) Close() error {
	if o.encodedStream != nil {
		o.encodedStream.Close()
	}
	if o.scaler != nil {
		o.scaler.Close()
		o.scaler = nil
	}
	return nil
}
