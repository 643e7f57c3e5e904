package transcode

// The per-frame calls go through these small C helpers rather than through
// go-astiav, for two reasons: go-astiav turns every EAGAIN into an error value
// (one Go allocation per call) and copies packet data with C.GoBytes; and its
// packets cannot take a buffer from a pool. Everything that is not per frame
// (opening codecs, options, scaler contexts) uses go-astiav.

/*
#cgo pkg-config: libavcodec libavutil libswscale
#include <errno.h>
#include <string.h>
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>

// cg_packet is an AVPacket whose payload comes from a buffer pool: filling it
// for every access unit allocates nothing once the pool holds a buffer large
// enough, and the decoder takes a reference instead of a copy.
typedef struct {
	AVPacket *pkt;
	AVBufferPool *pool;
	int pool_size;
} cg_packet;

static cg_packet *cg_packet_new(void) {
	cg_packet *p = av_mallocz(sizeof(*p));
	if (!p) return NULL;
	p->pkt = av_packet_alloc();
	if (!p->pkt) { av_free(p); return NULL; }
	return p;
}

static void cg_packet_free(cg_packet *p) {
	av_packet_free(&p->pkt);
	av_buffer_pool_uninit(&p->pool); // buffers still referenced are freed when released
	av_free(p);
}

// cg_packet_prepare gives the packet a payload of size bytes (zeroed padding
// behind it, as decoders require) and returns where to write it.
static uint8_t *cg_packet_prepare(cg_packet *p, int size, int64_t pts, int key) {
	av_packet_unref(p->pkt);
	int need = size + AV_INPUT_BUFFER_PADDING_SIZE;
	if (need > p->pool_size) {
		av_buffer_pool_uninit(&p->pool);
		p->pool_size = need + need / 2;
		p->pool = av_buffer_pool_init(p->pool_size, NULL);
		if (!p->pool) { p->pool_size = 0; return NULL; }
	}
	AVBufferRef *buf = av_buffer_pool_get(p->pool);
	if (!buf) return NULL;
	p->pkt->buf = buf;
	p->pkt->data = buf->data;
	p->pkt->size = size;
	memset(buf->data + size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	p->pkt->pts = pts;
	p->pkt->dts = pts;
	p->pkt->flags = key ? AV_PKT_FLAG_KEY : 0;
	return buf->data;
}

static int cg_send_packet(void *ctx, cg_packet *p) { return avcodec_send_packet(ctx, p ? p->pkt : NULL); }
static int cg_receive_frame(void *ctx, void *f) { return avcodec_receive_frame(ctx, f); }
static int cg_send_frame(void *ctx, void *f) { return avcodec_send_frame(ctx, f); }
static int cg_receive_packet(void *ctx, cg_packet *p) { return avcodec_receive_packet(ctx, p->pkt); }
static void cg_flush_buffers(void *ctx) { avcodec_flush_buffers(ctx); }
static int cg_eagain(void) { return AVERROR(EAGAIN); }
static int cg_frame_corrupt(AVFrame *f) { return (f->flags & AV_FRAME_FLAG_CORRUPT) || f->decode_error_flags; }
static void cg_frame_set_quality(AVFrame *f, int qscale) { f->quality = qscale * FF_QP2LAMBDA; }
static int cg_qp2lambda(void) { return FF_QP2LAMBDA; }
static void cg_frame_set_key_request(AVFrame *f, int key) { f->pict_type = key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE; }
*/
import "C"

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/asticode/go-astiav"
)

var (
	codeAgain = int(C.cg_eagain())
	codeEOF   = int(C.AVERROR_EOF)
)

// avError keeps libav's own message for a failed call.
func avError(op string, code int) error {
	return fmt.Errorf("%s: %w", op, astiav.Error(code))
}

// packet is a reusable AVPacket (see cg_packet above).
type packet struct{ c *C.cg_packet }

func newPacket() (*packet, error) {
	c := C.cg_packet_new()
	if c == nil {
		return nil, errors.New("av_packet_alloc: out of memory")
	}
	return &packet{c: c}, nil
}

func (p *packet) free() {
	if p != nil && p.c != nil {
		C.cg_packet_free(p.c)
		p.c = nil
	}
}

// fillAnnexB writes the NAL units into the packet, each behind a 4-byte start code.
func (p *packet) fillAnnexB(nalus [][]byte, pts int64, key bool) error {
	size := 0
	for _, n := range nalus {
		size += 4 + len(n)
	}
	k := C.int(0)
	if key {
		k = 1
	}
	data := C.cg_packet_prepare(p.c, C.int(size), C.int64_t(pts), k)
	if data == nil {
		return errors.New("packet buffer: out of memory")
	}
	dst := unsafe.Slice((*byte)(unsafe.Pointer(data)), size)
	off := 0
	for _, n := range nalus {
		dst[off], dst[off+1], dst[off+2], dst[off+3] = 0, 0, 0, 1
		off += 4
		off += copy(dst[off:], n)
	}
	return nil
}

// bytes returns the packet's payload without copying; valid until the packet is reused.
func (p *packet) bytes() []byte {
	pkt := p.c.pkt
	if pkt.data == nil || pkt.size <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(pkt.data)), int(pkt.size))
}

func (p *packet) pts() int64 { return int64(p.c.pkt.pts) }
func (p *packet) dts() int64 { return int64(p.c.pkt.dts) }
func (p *packet) key() bool  { return p.c.pkt.flags&C.AV_PKT_FLAG_KEY != 0 }

func sendPacket(cc *astiav.CodecContext, p *packet) int {
	var c *C.cg_packet
	if p != nil {
		c = p.c
	}
	return int(C.cg_send_packet(cc.UnsafePointer(), c))
}

func receiveFrame(cc *astiav.CodecContext, f *astiav.Frame) int {
	return int(C.cg_receive_frame(cc.UnsafePointer(), f.UnsafePointer()))
}

func sendFrame(cc *astiav.CodecContext, f *astiav.Frame) int {
	var fp unsafe.Pointer
	if f != nil {
		fp = f.UnsafePointer()
	}
	return int(C.cg_send_frame(cc.UnsafePointer(), fp))
}

func receivePacket(cc *astiav.CodecContext, p *packet) int {
	return int(C.cg_receive_packet(cc.UnsafePointer(), p.c))
}

func flushBuffers(cc *astiav.CodecContext) { C.cg_flush_buffers(cc.UnsafePointer()) }

func frameCorrupt(f *astiav.Frame) bool {
	return C.cg_frame_corrupt((*C.AVFrame)(f.UnsafePointer())) != 0
}

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

// Timestamps inside transcode are in the 90 kHz clock of RTP video.
const clockRate = 90000

var timeBase = astiav.NewRational(1, clockRate)

func toTicks(d time.Duration) int64 { return int64(d) / 1000 * 9 / 100 }
func fromTicks(t int64) time.Duration {
	return time.Duration(t) * 100 * time.Microsecond / 9
}
