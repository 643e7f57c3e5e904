package codec

import "testing"

func TestNALUTypes(t *testing.T) {
	for _, tc := range []struct {
		codec                Codec
		nalu                 []byte
		typ                  int
		slice, key, paramSet bool
	}{
		{H264, []byte{0x67, 0x42}, 7, false, false, true},  // SPS
		{H264, []byte{0x68, 0xce}, 8, false, false, true},  // PPS
		{H264, []byte{0x65, 0x88}, 5, true, true, false},   // IDR slice
		{H264, []byte{0x41, 0x9a}, 1, true, false, false},  // non-IDR slice
		{H264, []byte{0x06, 0x05}, 6, false, false, false}, // SEI
		{H265, []byte{0x40, 0x01}, 32, false, false, true}, // VPS
		{H265, []byte{0x42, 0x01}, 33, false, false, true}, // SPS
		{H265, []byte{0x44, 0x01}, 34, false, false, true}, // PPS
		{H265, []byte{0x26, 0x01}, 19, true, true, false},  // IDR_W_RADL
		{H265, []byte{0x2a, 0x01}, 21, true, true, false},  // CRA
		{H265, []byte{0x02, 0x01}, 1, true, false, false},  // TRAIL_R
	} {
		typ := naluType(tc.codec, tc.nalu)
		if typ != tc.typ || IsSliceType(tc.codec, typ) != tc.slice ||
			IsKeyframeType(tc.codec, typ) != tc.key || IsParameterSetType(tc.codec, typ) != tc.paramSet {
			t.Errorf("%v %x: type %d, slice %v, key %v, parameter set %v", tc.codec, tc.nalu, typ,
				IsSliceType(tc.codec, typ), IsKeyframeType(tc.codec, typ), IsParameterSetType(tc.codec, typ))
		}
	}
}

func TestIsFirstSlice(t *testing.T) {
	for _, tc := range []struct {
		codec Codec
		nalu  []byte
		want  bool
	}{
		{H264, []byte{0x65, 0x88, 0x84}, true},  // first_mb_in_slice 0
		{H264, []byte{0x41, 0x40, 0x00}, false}, // first_mb_in_slice 1
		{H265, []byte{0x26, 0x01, 0xaf}, true},  // first_slice_segment_in_pic_flag set
		{H265, []byte{0x02, 0x01, 0x40}, false},
		{H264, []byte{0x65}, false}, // too short: no flag, and no panic
		{H265, []byte{0x26, 0x01}, false},
		{H264, nil, false},
		{H265, nil, false},
	} {
		if got := IsFirstSlice(tc.codec, tc.nalu); got != tc.want {
			t.Errorf("%v %x: IsFirstSlice = %v, want %v", tc.codec, tc.nalu, got, tc.want)
		}
	}
}

func TestIsKeyframeSkipsEmptyNALUnits(t *testing.T) {
	if IsKeyframe(H264, [][]byte{{}, nil, {0x41, 0x9a}}) {
		t.Error("H.264: a non-IDR access unit with empty NAL units is a keyframe")
	}
	if !IsKeyframe(H265, [][]byte{{}, {0x26, 0x01, 0xaf}}) {
		t.Error("H.265: an IDR behind an empty NAL unit is not a keyframe")
	}
}
