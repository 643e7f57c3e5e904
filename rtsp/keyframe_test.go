package rtsp

import "testing"

func TestStartsKeyframe(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload []byte
		hevc    bool
		want    bool
	}{
		{"h264 SPS", []byte{0x67, 0x42}, false, true},
		{"h264 IDR", []byte{0x65, 0x88}, false, true},
		{"h264 P slice", []byte{0x41, 0x9a}, false, false},
		{"h264 SEI", []byte{0x06, 0x05}, false, false},
		{"h264 STAP-A SPS first", []byte{0x78, 0x00, 0x0a, 0x67, 0x42}, false, true},
		{"h264 STAP-A SEI first", []byte{0x78, 0x00, 0x0a, 0x06, 0x05}, false, false},
		{"h264 FU-A IDR start", []byte{0x7c, 0x85, 0x00}, false, true},
		{"h264 FU-A IDR middle", []byte{0x7c, 0x05, 0x00}, false, false},
		{"h264 FU-A P start", []byte{0x7c, 0x81, 0x00}, false, false},
		{"h265 VPS", []byte{0x40, 0x01, 0x0c}, true, true},
		{"h265 IDR_W_RADL", []byte{0x26, 0x01, 0xaf}, true, true},
		{"h265 TRAIL_R", []byte{0x02, 0x01, 0xd0}, true, false},
		{"h265 FU IDR start", []byte{0x62, 0x01, 0x93}, true, true},
		{"h265 FU IDR end", []byte{0x62, 0x01, 0x53}, true, false},
		{"h265 AP VPS first", []byte{0x60, 0x01, 0x00, 0x17, 0x40, 0x01}, true, true},
		{"empty", nil, false, false},
	} {
		if got := startsKeyframe(tc.payload, tc.hevc); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
