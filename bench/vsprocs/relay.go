package main

import (
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"
)

// relay is the RTSP server of the process-per-output side: each ffmpeg
// publishes its output to it (ANNOUNCE, RECORD) and the readers play it from
// there, as MediaMTX or go2rtc relay what the ffmpeg processes they spawn
// publish. It runs in the harness process, so that its CPU counts for neither
// side. (It is bench code: gortsplib is used directly here, where the product
// keeps it inside rtsp/.)
type relay struct {
	srv  *gortsplib.Server
	addr string

	mu        sync.Mutex
	streams   map[string]*gortsplib.ServerStream
	publisher map[string]*gortsplib.ServerSession
}

func startRelay() (*relay, error) {
	r := &relay{streams: map[string]*gortsplib.ServerStream{}, publisher: map[string]*gortsplib.ServerSession{}}
	r.srv = &gortsplib.Server{
		Handler:     (*relayHandler)(r),
		RTSPAddress: "127.0.0.1:0",
		Listen: func(network, address string) (net.Listener, error) {
			l, err := net.Listen(network, address)
			if err == nil {
				r.addr = l.Addr().String()
			}
			return l, err
		},
	}
	if err := r.srv.Start(); err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	return r, nil
}

// Addr is the relay's host:port.
func (r *relay) Addr() string { return r.addr }

// Close stops the server and its streams.
func (r *relay) Close() {
	r.srv.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	for p, st := range r.streams {
		st.Close()
		delete(r.streams, p)
	}
}

type relayHandler relay

func relayPath(p string) string { return strings.Trim(p, "/") }

func (h *relayHandler) stream(path string) (*base.Response, *gortsplib.ServerStream, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if st := h.streams[relayPath(path)]; st != nil {
		return &base.Response{StatusCode: base.StatusOK}, st, nil
	}
	return &base.Response{StatusCode: base.StatusNotFound}, nil, nil // not published yet: the reader retries
}

func (h *relayHandler) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return h.stream(ctx.Path)
}

func (h *relayHandler) OnAnnounce(ctx *gortsplib.ServerHandlerOnAnnounceCtx) (*base.Response, error) {
	p := relayPath(ctx.Path)
	h.mu.Lock()
	defer h.mu.Unlock()
	if old := h.streams[p]; old != nil { // a new publisher replaces the old one
		old.Close()
		h.publisher[p].Close()
	}
	st := &gortsplib.ServerStream{Server: h.srv, Desc: ctx.Description}
	if err := st.Initialize(); err != nil {
		return &base.Response{StatusCode: base.StatusBadRequest}, err
	}
	h.streams[p], h.publisher[p] = st, ctx.Session
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (h *relayHandler) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if ctx.Session.State() == gortsplib.ServerSessionStatePreRecord {
		return &base.Response{StatusCode: base.StatusOK}, nil, nil
	}
	return h.stream(ctx.Path)
}

func (h *relayHandler) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (h *relayHandler) OnRecord(ctx *gortsplib.ServerHandlerOnRecordCtx) (*base.Response, error) {
	h.mu.Lock()
	st := h.streams[relayPath(ctx.Path)]
	h.mu.Unlock()
	if st == nil {
		return &base.Response{StatusCode: base.StatusBadRequest}, fmt.Errorf("record %s: not announced", ctx.Path)
	}
	ctx.Session.OnPacketRTPAny(func(m *description.Media, _ format.Format, pkt *rtp.Packet) {
		_ = st.WritePacketRTP(m, pkt)
	})
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnStreamWriteError counts the packets the relay could not send to a
// reader in time: the harness's readers fell behind.
func (h *relayHandler) OnStreamWriteError(*gortsplib.ServerHandlerOnStreamWriteErrorCtx) {
	relayDrops.Add(1)
}

func (h *relayHandler) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for p, s := range h.publisher {
		if s == ctx.Session {
			h.streams[p].Close()
			delete(h.streams, p)
			delete(h.publisher, p)
		}
	}
}
