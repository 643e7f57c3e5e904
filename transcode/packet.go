package transcode

// A packet is an AVPacket whose payload comes from a buffer pool. go-astiav's
// packets cannot take a buffer from a pool and copy their data out with
// C.GoBytes; this one is filled and read in place, and allocates nothing once
// the pool holds a buffer large enough.

/*
#cgo pkg-config: libavcodec libavutil
#include <string.h>
#include <libavcodec/avcodec.h>

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
// behind it, as decoders require) and returns where to write it. The decoder
// takes a reference to the pooled buffer instead of a copy.
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
static int cg_receive_packet(void *ctx, cg_packet *p) { return avcodec_receive_packet(ctx, p->pkt); }
*/
import "C"

import (
	"errors"
	"unsafe"

	"github.com/asticode/go-astiav"
)

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
func (p *packet) key() bool  { return p.c.pkt.flags&C.AV_PKT_FLAG_KEY != 0 }

// dts is read by the tests only: they check that x264's output has no
// B-frames (DTS == PTS), which every RTSP and WebRTC reader relies on and
// which camgate's access units therefore do not carry. Test files cannot use
// cgo, so the accessor lives here.
func (p *packet) dts() int64 { return int64(p.c.pkt.dts) }

// sendPacket hands p to a decoder; a nil p starts draining it.
func sendPacket(cc *astiav.CodecContext, p *packet) int {
	var c *C.cg_packet
	if p != nil {
		c = p.c
	}
	return int(C.cg_send_packet(cc.UnsafePointer(), c))
}

// receivePacket takes the next packet out of an encoder.
func receivePacket(cc *astiav.CodecContext, p *packet) int {
	return int(C.cg_receive_packet(cc.UnsafePointer(), p.c))
}
