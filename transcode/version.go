package transcode

/*
#cgo pkg-config: libavcodec libavutil
#include <stdint.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <x264.h>
#ifndef X264_POINTVER
#define X264_POINTVER ""
#endif
*/
import "C"

import "fmt"

// Versions describes the libraries camgate is linked with.
type Versions struct {
	FFmpeg        string // FFmpeg release, e.g. "7.1.5"
	LibavCodec    string // libavcodec version, e.g. "61.19.101"
	X264Build     int    // X264_BUILD of the x264 headers
	X264Version   string // X264_POINTVER of the x264 headers, e.g. "0.164.3095 baee400"
	Configuration string // FFmpeg's configure flags
	License       string // libavcodec's license: GPL when x264 is linked
}

// LibraryVersions returns the versions of libav and x264 in this binary.
func LibraryVersions() Versions {
	v := uint32(C.avcodec_version())
	return Versions{
		FFmpeg:        C.GoString(C.av_version_info()),
		LibavCodec:    fmt.Sprintf("%d.%d.%d", v>>16, v>>8&0xff, v&0xff),
		X264Build:     int(C.X264_BUILD),
		X264Version:   C.X264_POINTVER,
		Configuration: C.GoString(C.avcodec_configuration()),
		License:       C.GoString(C.avcodec_license()),
	}
}
