package transcode

// The per-frame calls go through these small C helpers rather than through
// go-astiav, because go-astiav turns every EAGAIN into an error value (one Go
// allocation per call) and does not reach some fields of AVFrame that the
// loop sets. Everything that is not per frame (opening codecs, options,
// scaler contexts) uses go-astiav. The packets of the same loop are in
// packet.go.

/*
#cgo pkg-config: libavcodec libavutil
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>

static int cg_receive_frame(void *ctx, void *f) { return avcodec_receive_frame(ctx, f); }
static int cg_send_frame(void *ctx, void *f) { return avcodec_send_frame(ctx, f); }
static void cg_flush_buffers(void *ctx) { avcodec_flush_buffers(ctx); }
static int cg_frame_corrupt(AVFrame *f) { return (f->flags & AV_FRAME_FLAG_CORRUPT) || f->decode_error_flags; }
static void cg_frame_set_quality(AVFrame *f, int qscale) { f->quality = qscale * FF_QP2LAMBDA; }
static int cg_qp2lambda(void) { return FF_QP2LAMBDA; }
static void cg_frame_set_key_request(AVFrame *f, int key) { f->pict_type = key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE; }
*/
import "C"

import (
	"unsafe"

	"github.com/asticode/go-astiav"
)

// receiveFrame takes the next picture out of a decoder.
func receiveFrame(cc *astiav.CodecContext, f *astiav.Frame) int {
	return int(C.cg_receive_frame(cc.UnsafePointer(), f.UnsafePointer()))
}

// sendFrame hands f to an encoder; a nil f starts draining it.
func sendFrame(cc *astiav.CodecContext, f *astiav.Frame) int {
	var fp unsafe.Pointer
	if f != nil {
		fp = f.UnsafePointer()
	}
	return int(C.cg_send_frame(cc.UnsafePointer(), fp))
}

func flushBuffers(cc *astiav.CodecContext) { C.cg_flush_buffers(cc.UnsafePointer()) }

// frameCorrupt reports whether the decoder marked f as damaged.
func frameCorrupt(f *astiav.Frame) bool {
	return C.cg_frame_corrupt((*C.AVFrame)(f.UnsafePointer())) != 0
}

// setKeyRequest asks the encoder to make f an I picture (an IDR with x264's
// forced-idr) or leaves the choice to it.
func setKeyRequest(f *astiav.Frame, key bool) {
	k := C.int(0)
	if key {
		k = 1
	}
	C.cg_frame_set_key_request((*C.AVFrame)(f.UnsafePointer()), k)
}

// setQScale sets the fixed quantizer an encoder in qscale mode uses for f.
func setQScale(f *astiav.Frame, q int) {
	C.cg_frame_set_quality((*C.AVFrame)(f.UnsafePointer()), C.int(q))
}

func qp2lambda() int { return int(C.cg_qp2lambda()) }

// framePlane returns the address and stride of plane i.
func framePlane(f *astiav.Frame, i int) (unsafe.Pointer, int) {
	c := (*C.AVFrame)(f.UnsafePointer())
	return unsafe.Pointer(c.data[i]), int(c.linesize[i])
}
