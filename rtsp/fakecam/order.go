package fakecam

import (
	"sort"

	"github.com/bluenviron/mediacommon/v2/pkg/bits"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// presentationOrder returns, for each access unit of an H.264 clip in
// decode order, its rank in presentation order: a clip with B-frames shows
// its pictures in another order than it sends them, and a camera stamps each
// with the time it was taken. It returns nil when the two orders are the
// same, or when the clip cannot be read that far (then it is played in
// decode order, as before).
//
// The order comes from each picture's picture order count (POC), type 0
// (the one x264 and cameras use with B-frames), counted from each IDR.
func presentationOrder(aus [][][]byte) []int {
	var sps h264.SPS
	haveSPS := false
	type pic struct{ idx, gop, poc int }
	pics := make([]pic, 0, len(aus))
	gop, prevMsb, prevLsb := -1, 0, 0
	for i, au := range aus {
		poc, idr, ok := 0, false, false
		for _, n := range au {
			if len(n) == 0 {
				continue
			}
			switch h264.NALUType(n[0] & 0x1f) {
			case h264.NALUTypeSPS:
				if sps.Unmarshal(n) == nil {
					haveSPS = true
				}
			case h264.NALUTypeIDR, h264.NALUTypeNonIDR:
				if !haveSPS || sps.PicOrderCntType != 0 {
					return nil
				}
				idr = h264.NALUType(n[0]&0x1f) == h264.NALUTypeIDR
				lsb, err := pocLSB(&sps, n, idr)
				if err != nil {
					return nil
				}
				if idr {
					gop++
					prevMsb, prevLsb = 0, 0
				}
				max := 1 << (sps.Log2MaxPicOrderCntLsbMinus4 + 4)
				msb := prevMsb
				switch {
				case lsb < prevLsb && prevLsb-lsb >= max/2:
					msb += max
				case lsb > prevLsb && lsb-prevLsb > max/2:
					msb -= max
				}
				poc, ok = msb+lsb, true
				if n[0]&0x60 != 0 { // a reference picture
					prevMsb, prevLsb = msb, lsb
				}
			}
			if ok {
				break
			}
		}
		if !ok || gop < 0 {
			return nil
		}
		pics = append(pics, pic{i, gop, poc})
	}
	sorted := append([]pic(nil), pics...)
	sort.SliceStable(sorted, func(a, b int) bool {
		if sorted[a].gop != sorted[b].gop {
			return sorted[a].gop < sorted[b].gop
		}
		return sorted[a].poc < sorted[b].poc
	})
	order := make([]int, len(aus))
	same := true
	for rank, p := range sorted {
		order[p.idx] = rank
		same = same && p.idx == rank
	}
	if same {
		return nil
	}
	return order
}

// pocLSB reads pic_order_cnt_lsb from a slice NAL unit's header.
func pocLSB(sps *h264.SPS, nalu []byte, idr bool) (int, error) {
	buf := h264.EmulationPreventionRemove(nalu[1:])
	pos := 0
	for range 3 { // first_mb_in_slice, slice_type, pic_parameter_set_id
		if _, err := bits.ReadGolombUnsigned(buf, &pos); err != nil {
			return 0, err
		}
	}
	if sps.SeparateColourPlaneFlag {
		if _, err := bits.ReadBits(buf, &pos, 2); err != nil {
			return 0, err
		}
	}
	if _, err := bits.ReadBits(buf, &pos, int(sps.Log2MaxFrameNumMinus4+4)); err != nil { // frame_num
		return 0, err
	}
	if !sps.FrameMbsOnlyFlag {
		field, err := bits.ReadFlag(buf, &pos)
		if err != nil {
			return 0, err
		}
		if field {
			if _, err := bits.ReadFlag(buf, &pos); err != nil {
				return 0, err
			}
		}
	}
	if idr {
		if _, err := bits.ReadGolombUnsigned(buf, &pos); err != nil { // idr_pic_id
			return 0, err
		}
	}
	lsb, err := bits.ReadBits(buf, &pos, int(sps.Log2MaxPicOrderCntLsbMinus4+4))
	return int(lsb), err
}
