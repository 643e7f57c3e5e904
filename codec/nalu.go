package codec

import (
	"bytes"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// NAL unit types come from mediacommon; the loops over access units are ours
// because mediacommon's IsRandomAccess indexes nalu[0] without a length check,
// and an empty NAL unit from a broken camera must not crash the process.

// H264Type returns the type of an H.264 NAL unit (0 for an empty one).
func H264Type(nalu []byte) h264.NALUType {
	if len(nalu) == 0 {
		return 0
	}
	return h264.NALUType(nalu[0] & 0x1f)
}

// H265Type returns the type of an H.265 NAL unit (0 for an empty one).
func H265Type(nalu []byte) h265.NALUType {
	if len(nalu) == 0 {
		return 0
	}
	return h265.NALUType((nalu[0] >> 1) & 0x3f)
}

// IsKeyframeType reports whether a NAL unit of type typ (as H264Type or
// H265Type return it, converted to int) is a slice of a picture a decoder can
// start at: IDR in H.264; IRAP (BLA, IDR, CRA) in H.265.
func IsKeyframeType(c Codec, typ int) bool {
	if c == H265 {
		return typ >= int(h265.NALUType_BLA_W_LP) && typ <= int(h265.NALUType_CRA_NUT)
	}
	return typ == int(h264.NALUTypeIDR)
}

// IsParameterSetType reports whether a NAL unit of type typ is a parameter
// set (SPS, PPS; and VPS in H.265).
func IsParameterSetType(c Codec, typ int) bool {
	if c == H265 {
		return typ >= int(h265.NALUType_VPS_NUT) && typ <= int(h265.NALUType_PPS_NUT)
	}
	return typ == int(h264.NALUTypeSPS) || typ == int(h264.NALUTypePPS)
}

// IsSliceType reports whether a NAL unit of type typ carries a slice of a
// picture (a VCL NAL unit): types 1 to 5 in H.264, 0 to 31 in H.265.
func IsSliceType(c Codec, typ int) bool {
	if c == H265 {
		return typ >= int(h265.NALUType_TRAIL_N) && typ < int(h265.NALUType_VPS_NUT)
	}
	return typ >= int(h264.NALUTypeNonIDR) && typ <= int(h264.NALUTypeIDR)
}

// IsFirstSlice reports whether a slice NAL unit is the first slice of its
// picture, which is where a new access unit begins. The flag is the first
// bit behind the NAL unit header: H.265's first_slice_segment_in_pic_flag,
// and in H.264 first_mb_in_slice, whose value 0 is coded as a single 1 bit.
// A NAL unit too short to hold it is not a first slice.
func IsFirstSlice(c Codec, nalu []byte) bool {
	header := 1
	if c == H265 {
		header = 2
	}
	return len(nalu) > header && nalu[header]&0x80 != 0
}

// IsKeyframe reports whether the access unit holds a picture a decoder can
// start at.
func IsKeyframe(c Codec, au [][]byte) bool {
	for _, n := range au {
		if len(n) > 0 && IsKeyframeType(c, naluType(c, n)) {
			return true
		}
	}
	return false
}

func naluType(c Codec, n []byte) int {
	if c == H265 {
		return int(H265Type(n))
	}
	return int(H264Type(n))
}

// ParameterSets are a stream's SPS and PPS, and VPS for H.265, without
// start codes. A nil field is unknown.
type ParameterSets struct {
	VPS, SPS, PPS []byte
}

// List returns the known parameter sets in decoding order (VPS, SPS, PPS).
func (p ParameterSets) List() [][]byte {
	var out [][]byte
	for _, b := range [][]byte{p.VPS, p.SPS, p.PPS} {
		if len(b) > 0 {
			out = append(out, b)
		}
	}
	return out
}

// Update stores the parameter sets an access unit carries in band, keeping
// the others, and reports whether anything changed. What it stores are
// copies: the access unit's memory is not kept.
func (p *ParameterSets) Update(c Codec, au [][]byte) bool {
	changed := false
	set := func(dst *[]byte, n []byte) {
		if !bytes.Equal(*dst, n) {
			*dst = append([]byte(nil), n...)
			changed = true
		}
	}
	for _, n := range au {
		if len(n) == 0 {
			continue
		}
		if c == H265 {
			switch H265Type(n) {
			case h265.NALUType_VPS_NUT:
				set(&p.VPS, n)
			case h265.NALUType_SPS_NUT:
				set(&p.SPS, n)
			case h265.NALUType_PPS_NUT:
				set(&p.PPS, n)
			}
			continue
		}
		switch H264Type(n) {
		case h264.NALUTypeSPS:
			set(&p.SPS, n)
		case h264.NALUTypePPS:
			set(&p.PPS, n)
		}
	}
	return changed
}

// FromList sorts a list of parameter sets (as an SDP's sprop-parameter-sets
// or an encoder's extradata give them) into their fields.
func FromList(c Codec, list [][]byte) ParameterSets {
	var p ParameterSets
	p.Update(c, list)
	return p
}

// PictureSize returns the picture size an SPS announces, or 0, 0 when it
// cannot be read.
func (p ParameterSets) PictureSize(c Codec) (width, height int) {
	if len(p.SPS) == 0 {
		return 0, 0
	}
	if c == H265 {
		var s h265.SPS
		if s.Unmarshal(p.SPS) != nil {
			return 0, 0
		}
		return s.Width(), s.Height()
	}
	var s h264.SPS
	if s.Unmarshal(p.SPS) != nil {
		return 0, 0
	}
	return s.Width(), s.Height()
}
