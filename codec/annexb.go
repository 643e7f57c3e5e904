package codec

import (
	"os"
	"strings"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// Annex-B is the byte-stream format of H.264 and H.265 (the raw ".h264" and
// ".hevc" files of testdata/): NAL units behind start codes. Cameras deliver
// access units already framed by RTP; camgate reads Annex-B where it reads
// raw elementary streams (the fake camera, tests and benchmarks) and where an
// encoder hands out its output as one buffer. mediacommon's AnnexB.Unmarshal
// allocates a fresh slice per call and refuses streams that do not begin with
// a start code; the encoder's hot loop needs the first to be free and the
// clip readers want the second to be lenient.

// SplitAnnexB returns the NAL units of an Annex-B byte stream, without start
// codes. The returned slices share b's memory.
func SplitAnnexB(b []byte) [][]byte { return AppendSplitAnnexB(nil, b) }

// AppendSplitAnnexB is SplitAnnexB appending to nalus; it allocates only when
// nalus lacks capacity, so a caller that reuses nalus splits every access unit
// for free.
func AppendSplitAnnexB(nalus [][]byte, b []byte) [][]byte {
	start := -1
	i := 0
	for i+2 < len(b) {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				end := i
				// A 4-byte start code leaves a zero byte behind the previous NAL unit.
				for end > start && b[end-1] == 0 {
					end--
				}
				if end > start {
					nalus = append(nalus, b[start:end])
				}
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 && start < len(b) {
		nalus = append(nalus, b[start:])
	}
	return nalus
}

// AnnexBAccessUnits groups the NAL units of an Annex-B stream into access
// units, following the rules of H.264 7.4.1.2.3 and H.265 7.4.2.4.4: a new
// access unit begins at an access unit delimiter, at a parameter set or SEI
// that follows a picture's slices, or at the first slice of a new picture.
func AnnexBAccessUnits(b []byte, c Codec) [][][]byte {
	var aus [][][]byte
	var cur [][]byte
	seenSlice := false
	for _, n := range SplitAnnexB(b) {
		typ := naluType(c, n)
		slice := len(n) > 0 && IsSliceType(c, typ)
		if seenSlice && ((slice && IsFirstSlice(c, n)) || precedesPicture(c, typ)) {
			aus = append(aus, cur)
			cur, seenSlice = nil, false
		}
		cur = append(cur, n)
		seenSlice = seenSlice || slice
	}
	if len(cur) > 0 && seenSlice {
		aus = append(aus, cur)
	}
	return aus
}

// precedesPicture reports whether a NAL unit of type typ may only stand in
// front of a picture's first slice (delimiter, parameter set, SEI), so that
// after a slice it starts the next access unit.
func precedesPicture(c Codec, typ int) bool {
	if c == H265 {
		return IsParameterSetType(c, typ) || typ == int(h265.NALUType_AUD_NUT) || typ == int(h265.NALUType_PREFIX_SEI_NUT)
	}
	return IsParameterSetType(c, typ) || typ == int(h264.NALUTypeSEI) || typ == int(h264.NALUTypeAccessUnitDelimiter)
}

// ReadAnnexBFile reads a raw Annex-B file and splits it into access units.
// Its name says the codec: .hevc or .h265 for H.265, anything else H.264.
func ReadAnnexBFile(path string) ([][][]byte, Codec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	c := H264
	if strings.HasSuffix(path, ".hevc") || strings.HasSuffix(path, ".h265") {
		c = H265
	}
	return AnnexBAccessUnits(b, c), c, nil
}
