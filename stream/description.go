package stream

import (
	"github.com/camgate/camgate/codec"
)

// Description is what a reader's decoder needs to know about a stream.
type Description struct {
	// Video is the stream's picture; VideoTrack its index in Tracks.
	Video      VideoFormat
	VideoTrack int

	// Tracks are every track the stream carries, video included: a
	// passthrough main has the camera's audio and data tracks too.
	Tracks []Track

	// Native is the description as the protocol that brought the stream
	// gave it (RTSP: *description.Session), or nil. A reader of that
	// protocol may serve it as it is; it must not modify it.
	Native any

	// Key identifies what readers' decoders depend on. A new description
	// with another key ends every reader (they connect again and set up new
	// decoders); one with the same key (a camera that reconnected with the
	// same settings) keeps them.
	Key string
}

// VideoFormat describes a video track.
type VideoFormat struct {
	Codec         codec.Codec
	ParameterSets codec.ParameterSets
	Width, Height int // 0 when unknown
}

// Track is one track of a stream.
type Track struct {
	Kind      Kind
	Codec     string // "H264", "H265", "G711", "MPEG-4 Audio", "Opus", … (gortsplib's names)
	ClockRate int

	// Config is the codec's configuration, when the track's frames need one
	// to be decoded and the stream does not carry it in band: for
	// "MPEG-4 Audio" (AAC), the AudioSpecificConfig (ISO 14496-3); the
	// track's units then carry raw AAC access units in Data (none, for an
	// RTP packet that only began one), the first at the unit's PTS, each
	// next one 1024 samples later. Nil otherwise: an audio track's units
	// then carry one RTP payload each. Never modified once published.
	Config []byte
}

// H264Description describes a stream of H.264 that camgate encodes itself
// (a sub stream, a transcoded main, a grid): one video track of fixed size.
func H264Description(params codec.ParameterSets, width, height int) Description {
	return Description{
		Video:  VideoFormat{Codec: codec.H264, ParameterSets: params, Width: width, Height: height},
		Tracks: []Track{{Kind: Video, Codec: "H264", ClockRate: codec.VideoClockRate}},
		Key:    "camgate-h264",
	}
}
