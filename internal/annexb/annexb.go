// Package annexb splits H.264 and H.265 Annex-B byte streams (the raw ".h264"
// and ".hevc" files of testdata/) into NAL units and access units.
//
// Cameras deliver access units already framed by RTP; this is used where camgate
// reads raw elementary streams (the fake camera, tests and benchmarks) and where
// an encoder hands out its output as one Annex-B buffer.
package annexb

// Split returns the NAL units of an Annex-B byte stream, without start codes.
// The returned slices share b's memory.
func Split(b []byte) [][]byte { return AppendSplit(nil, b) }

// AppendSplit is Split appending to nalus; it allocates only when nalus lacks
// capacity, so a caller that reuses nalus splits every access unit for free.
func AppendSplit(nalus [][]byte, b []byte) [][]byte {
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

// AccessUnits groups the NAL units of an Annex-B stream into access units,
// following the rules of H.264 7.4.1.2.3 and H.265 7.4.2.4.4: a new access unit
// begins at an access unit delimiter, at a parameter set or SEI that follows a
// picture's slices, or at the first slice of a new picture.
func AccessUnits(b []byte, hevc bool) [][][]byte {
	var aus [][][]byte
	var cur [][]byte
	seenVCL := false
	for _, n := range Split(b) {
		vcl, first, prefix := classify(n, hevc)
		if (vcl && first && seenVCL) || (prefix && seenVCL) {
			aus = append(aus, cur)
			cur, seenVCL = nil, false
		}
		cur = append(cur, n)
		if vcl {
			seenVCL = true
		}
	}
	if len(cur) > 0 && seenVCL {
		aus = append(aus, cur)
	}
	return aus
}

// classify tells whether n is a slice (VCL) NAL unit, whether it is the first
// slice of a picture, and whether it is a NAL unit that may only precede a
// picture's first slice (delimiter, parameter set, SEI).
func classify(n []byte, hevc bool) (vcl, first, prefix bool) {
	if hevc {
		if len(n) < 3 {
			return false, false, false
		}
		typ := (n[0] >> 1) & 0x3f
		switch {
		case typ <= 31:
			return true, n[2]&0x80 != 0, false // first_slice_segment_in_pic_flag
		case typ >= 32 && typ <= 35, typ == 39: // VPS, SPS, PPS, AUD, prefix SEI
			return false, false, true
		}
		return false, false, false
	}
	if len(n) < 2 {
		return false, false, false
	}
	typ := n[0] & 0x1f
	switch {
	case typ >= 1 && typ <= 5:
		return true, n[1]&0x80 != 0, false // first_mb_in_slice == 0 codes as a single 1 bit
	case typ >= 6 && typ <= 9: // SEI, SPS, PPS, AUD
		return false, false, true
	}
	return false, false, false
}

// IsKeyframe reports whether the access unit holds an IDR (H.264) or IRAP
// (H.265) picture, where a decoder can start.
func IsKeyframe(au [][]byte, hevc bool) bool {
	for _, n := range au {
		if len(n) == 0 {
			continue
		}
		if hevc {
			if typ := (n[0] >> 1) & 0x3f; typ >= 16 && typ <= 21 {
				return true
			}
		} else if n[0]&0x1f == 5 {
			return true
		}
	}
	return false
}
