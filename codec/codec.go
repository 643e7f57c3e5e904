// Package codec holds the facts about H.264 and H.265 that every room of
// camgate shares: which codec a stream is, what an access unit is, which NAL
// units start a picture a decoder can begin at or carry its parameter sets,
// how an Annex-B byte stream splits into access units, and how a media clock
// converts to time. It imports only the standard
// library and mediacommon, so that rtsp, transcode, the stream hub and the
// pipeline all speak it without importing each other.
package codec

import (
	"fmt"
	"time"
)

// Codec is a video codec camgate carries.
type Codec int

// Video codecs.
const (
	H264 Codec = iota + 1
	H265
)

func (c Codec) String() string {
	switch c {
	case H264:
		return "H.264"
	case H265:
		return "H.265"
	}
	return fmt.Sprintf("Codec(%d)", int(c))
}

// AccessUnit is one video picture: its NAL units without start codes, its
// presentation time and whether a decoder can start at it (an IDR picture in
// H.264, an IRAP picture in H.265). The keyframe flag is computed once, where
// the access unit enters camgate, and carried from there.
type AccessUnit struct {
	NALUs    [][]byte
	PTS      time.Duration
	Keyframe bool
}
