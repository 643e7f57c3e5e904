package rtsp

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
	"github.com/pion/rtp"
)

// ServerConfig configures the gateway's RTSP server.
type ServerConfig struct {
	// Address to listen on for RTSP (and RTP interleaved in it). Default ":8554".
	Address string

	// UDPRTPAddress and UDPRTCPAddress enable the UDP transport for readers;
	// the RTP port must be even and the RTCP port the next one. Both empty:
	// readers use TCP only.
	UDPRTPAddress  string
	UDPRTCPAddress string

	// User and Pass, when set, are required of every reader.
	User, Pass string

	// ReadTimeout and WriteTimeout bound every exchange with a reader; a reader
	// that does not drain its connection for WriteTimeout is dropped rather
	// than allowed to hold memory. Default 10 s each.
	ReadTimeout, WriteTimeout time.Duration
}

// Server is the gateway's RTSP server. Streams are published on paths with
// PublishRelay and PublishH264; readers that ask for other paths get 404.
type Server struct {
	cfg  ServerConfig
	srv  *gortsplib.Server
	addr net.Addr

	mu    sync.RWMutex
	paths map[string]*publication

	sessions atomic.Int64
}

// publication is one published path. Its ServerStream may be replaced (a
// relay whose camera changed its codec parameters) or absent (a relay whose
// camera was never reached).
type publication struct {
	path     string
	onReader func()

	mu      sync.RWMutex
	stream  *gortsplib.ServerStream
	readers map[*gortsplib.ServerSession]*readerState
	closed  bool

	bytesOut atomic.Uint64
	joins    atomic.Uint64
}

// readerState is a playing reader. A reader receives nothing until the start
// of a keyframe, so that its decoder never sees a picture whose references it
// lacks (players print errors and show grey smears for those).
type readerState struct {
	session *gortsplib.ServerSession
	started atomic.Bool
}

// NewServer starts listening.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Address == "" {
		cfg.Address = ":8554"
	}
	if (cfg.UDPRTPAddress == "") != (cfg.UDPRTCPAddress == "") {
		return nil, errors.New("rtsp server: set both UDP RTP and RTCP addresses, or neither")
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 10 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	s := &Server{cfg: cfg, paths: map[string]*publication{}}
	s.srv = &gortsplib.Server{
		Handler:        (*serverHandler)(s),
		RTSPAddress:    cfg.Address,
		UDPRTPAddress:  cfg.UDPRTPAddress,
		UDPRTCPAddress: cfg.UDPRTCPAddress,
		ReadTimeout:    cfg.ReadTimeout,
		WriteTimeout:   cfg.WriteTimeout,
		// 512 packets is about two 1080p keyframes: enough to ride out a slow
		// reader's hiccup, small enough to bound memory per reader.
		WriteQueueSize: 512,
		Listen: func(network, address string) (net.Listener, error) {
			l, err := net.Listen(network, address)
			if err == nil {
				s.addr = l.Addr()
			}
			return l, err
		},
	}
	if err := s.srv.Start(); err != nil {
		return nil, fmt.Errorf("rtsp server on %s: %w", cfg.Address, err)
	}
	return s, nil
}

// Addr returns the address the server listens on (with the real port when
// the configured one was 0).
func (s *Server) Addr() net.Addr { return s.addr }

// URL returns the rtsp:// URL of a path on this server, for the local host.
func (s *Server) URL(path string) string {
	host := "127.0.0.1"
	port := "8554"
	if a, ok := s.addr.(*net.TCPAddr); ok {
		port = fmt.Sprint(a.Port)
		if !a.IP.IsUnspecified() && a.IP != nil {
			host = a.IP.String()
		}
	}
	return "rtsp://" + net.JoinHostPort(host, port) + "/" + path
}

// Sessions returns the number of open reader sessions.
func (s *Server) Sessions() int { return int(s.sessions.Load()) }

// Close ends every session and stops listening.
func (s *Server) Close() error {
	s.mu.Lock()
	pubs := s.paths
	s.paths = map[string]*publication{}
	s.mu.Unlock()
	for _, p := range pubs {
		p.close()
	}
	s.srv.Close()
	return nil
}

func (s *Server) publish(path string, onReader func()) (*publication, error) {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil, errors.New("rtsp server: empty path")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.paths[path]; dup {
		return nil, fmt.Errorf("rtsp server: path %q is already published", path)
	}
	p := &publication{path: path, onReader: onReader, readers: map[*gortsplib.ServerSession]*readerState{}}
	s.paths[path] = p
	return p, nil
}

func (s *Server) unpublish(p *publication) {
	s.mu.Lock()
	if s.paths[p.path] == p {
		delete(s.paths, p.path)
	}
	s.mu.Unlock()
	p.close()
}

func (s *Server) lookup(path string) *publication {
	path = strings.Trim(path, "/")
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.paths[path]
}

// setStream installs st as the publication's stream, closing the one it
// replaces (which disconnects that stream's readers).
func (p *publication) setStream(st *gortsplib.ServerStream) {
	p.mu.Lock()
	old := p.stream
	if p.closed {
		p.mu.Unlock()
		if st != nil {
			st.Close()
		}
		return
	}
	p.stream = st
	p.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

func (p *publication) current() *gortsplib.ServerStream {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.stream
}

func (p *publication) close() {
	p.mu.Lock()
	old := p.stream
	p.stream, p.closed = nil, true
	p.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// StreamStats are the counters of a published path.
type StreamStats struct {
	Path     string
	Readers  int    // sessions playing the path now
	Joins    uint64 // PLAY requests so far
	BytesOut uint64 // bytes sent to all readers
}

func (p *publication) stats() StreamStats {
	p.mu.RLock()
	readers := len(p.readers)
	p.mu.RUnlock()
	return StreamStats{Path: p.path, Readers: readers, Joins: p.joins.Load(), BytesOut: p.bytesOut.Load()}
}

func (p *publication) addReader(ss *gortsplib.ServerSession) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.readers[ss]; !ok && !p.closed {
		p.readers[ss] = &readerState{session: ss}
	}
}

func (p *publication) removeReader(ss *gortsplib.ServerSession) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.readers, ss)
}

// write sends a packet of media to every reader. video tells whether the
// packet belongs to the video track, keyStart whether it begins a keyframe:
// readers that have not started yet start there; until then they get nothing,
// audio included, so that they start with sound and picture together.
func (p *publication) write(media *description.Media, pkt *rtp.Packet, video, keyStart bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	size := uint64(pkt.MarshalSize())
	for _, r := range p.readers {
		if !r.started.Load() {
			if !video || !keyStart {
				continue
			}
			r.started.Store(true)
		}
		if r.session.WritePacketRTP(media, pkt) == nil {
			p.bytesOut.Add(size)
		}
	}
}

// serverHandler answers the readers' requests.
type serverHandler Server

func (h *serverHandler) authorize(c *gortsplib.ServerConn, req *base.Request) error {
	if h.cfg.User == "" {
		return nil
	}
	if !c.VerifyCredentials(req, h.cfg.User, h.cfg.Pass) {
		return liberrors.ErrServerAuth{}
	}
	return nil
}

func (h *serverHandler) find(c *gortsplib.ServerConn, req *base.Request, path string) (*base.Response, *gortsplib.ServerStream, error) {
	if err := h.authorize(c, req); err != nil {
		return &base.Response{StatusCode: base.StatusUnauthorized}, nil, err
	}
	p := (*Server)(h).lookup(path)
	if p == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, fmt.Errorf("no stream on path %q", path)
	}
	st := p.current()
	if st == nil {
		// A passthrough path whose camera has not been reached yet.
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, nil, fmt.Errorf("stream %q is not ready: its camera has not connected yet", path)
	}
	return &base.Response{StatusCode: base.StatusOK}, st, nil
}

// OnDescribe implements gortsplib.ServerHandlerOnDescribe.
func (h *serverHandler) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return h.find(ctx.Conn, ctx.Request, ctx.Path)
}

// OnSetup implements gortsplib.ServerHandlerOnSetup.
func (h *serverHandler) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return h.find(ctx.Conn, ctx.Request, ctx.Path)
}

// OnPlay implements gortsplib.ServerHandlerOnPlay.
func (h *serverHandler) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	p := (*Server)(h).lookup(ctx.Session.Path())
	if p == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, fmt.Errorf("no stream on path %q", ctx.Path)
	}
	if _, counted := ctx.Session.UserData().(*publication); !counted {
		ctx.Session.SetUserData(p)
		p.addReader(ctx.Session)
	}
	p.joins.Add(1)
	if p.onReader != nil {
		// The reader becomes active only after this handler returns: ask for
		// the keyframe a little later, or it could be sent before the reader
		// is there to receive it.
		time.AfterFunc(20*time.Millisecond, p.onReader)
	}
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnSessionOpen implements gortsplib.ServerHandlerOnSessionOpen.
func (h *serverHandler) OnSessionOpen(*gortsplib.ServerHandlerOnSessionOpenCtx) {
	h.sessions.Add(1)
}

// OnSessionClose implements gortsplib.ServerHandlerOnSessionClose.
func (h *serverHandler) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	h.sessions.Add(-1)
	if p, ok := ctx.Session.UserData().(*publication); ok {
		p.removeReader(ctx.Session)
	}
}
