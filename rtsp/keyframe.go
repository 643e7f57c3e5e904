package rtsp

// startsKeyframe reports whether an RTP payload (RFC 6184 for H.264, RFC 7798
// for H.265) begins an access unit a decoder can start from: a parameter set
// or an IDR/IRAP slice, alone, first in an aggregation packet, or as the first
// fragment.
func startsKeyframe(payload []byte, hevc bool) bool {
	if hevc {
		if len(payload) < 3 {
			return false
		}
		switch typ := (payload[0] >> 1) & 0x3f; {
		case typ == 48: // aggregation packet: first NAL unit after its 2-byte size
			return len(payload) >= 5 && isHEVCStart((payload[4]>>1)&0x3f)
		case typ == 49: // fragmentation unit
			return payload[2]&0x80 != 0 && isHEVCStart(payload[2]&0x3f)
		default:
			return isHEVCStart(typ)
		}
	}
	if len(payload) < 2 {
		return false
	}
	switch typ := payload[0] & 0x1f; {
	case typ == 24: // STAP-A: first NAL unit after its 2-byte size
		return len(payload) >= 4 && isH264Start(payload[3]&0x1f)
	case typ == 28: // FU-A
		return payload[1]&0x80 != 0 && isH264Start(payload[1]&0x1f)
	default:
		return isH264Start(typ)
	}
}

func isH264Start(typ byte) bool { return typ == 5 || typ == 7 }

func isHEVCStart(typ byte) bool { return typ == 32 || typ == 33 || (typ >= 16 && typ <= 21) }
