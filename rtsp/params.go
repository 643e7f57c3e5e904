package rtsp

import (
	"bytes"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
)

// updateParameterSets stores in f the parameter sets an access unit carries
// in band, and reports whether they differ from the ones f had.
func updateParameterSets(f format.Format, au [][]byte) bool {
	switch f := f.(type) {
	case *format.H264:
		var sps, pps []byte
		for _, n := range au {
			if len(n) == 0 {
				continue
			}
			switch n[0] & 0x1f {
			case 7:
				sps = n
			case 8:
				pps = n
			}
		}
		oldSPS, oldPPS := f.SafeParams()
		if same(sps, oldSPS) && same(pps, oldPPS) {
			return false
		}
		f.SafeSetParams(pick(sps, oldSPS), pick(pps, oldPPS))
		return true
	case *format.H265:
		var vps, sps, pps []byte
		for _, n := range au {
			if len(n) == 0 {
				continue
			}
			switch (n[0] >> 1) & 0x3f {
			case 32:
				vps = n
			case 33:
				sps = n
			case 34:
				pps = n
			}
		}
		oldVPS, oldSPS, oldPPS := f.SafeParams()
		if same(vps, oldVPS) && same(sps, oldSPS) && same(pps, oldPPS) {
			return false
		}
		f.SafeSetParams(pick(vps, oldVPS), pick(sps, oldSPS), pick(pps, oldPPS))
		return true
	}
	return false
}

// same reports whether an in-band parameter set (nil: absent) leaves old as it is.
func same(n, old []byte) bool { return n == nil || bytes.Equal(n, old) }

// pick returns a copy of the in-band parameter set, or old when absent.
func pick(n, old []byte) []byte {
	if n != nil {
		return append([]byte(nil), n...)
	}
	return old
}
