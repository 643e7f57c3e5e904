package rtsp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/rs/zerolog"

	"github.com/camgate/camgate/internal/certfile"
	"github.com/camgate/camgate/internal/viewers"
	"github.com/camgate/camgate/stream"
)

// DefaultAddress is where the RTSP server listens unless configured
// otherwise: the port every RTSP player and NVR tries first.
const DefaultAddress = ":8554"

// DefaultTLSAddress is where the RTSPS server listens unless configured
// otherwise: MediaMTX's port.
const DefaultTLSAddress = ":8322"

// The encryption settings, MediaMTX's words.
const (
	EncryptionNo       = "no"       // rtsp:// only
	EncryptionOptional = "optional" // rtsp:// and rtsps://, each on its port
	EncryptionStrict   = "strict"   // rtsps:// only
)

// ServerConfig configures the gateway's RTSP server.
type ServerConfig struct {
	// Address to listen on for RTSP (and RTP interleaved in it). Default
	// DefaultAddress.
	Address string

	// UDPRTPAddress and UDPRTCPAddress enable the UDP transport for readers;
	// the RTP port must be even and the RTCP port the next one. Both empty:
	// readers use TCP only.
	UDPRTPAddress  string
	UDPRTCPAddress string

	// Readers says who may read which path, on every reader protocol: the
	// server applies it (Auth) and the WebRTC and HLS listeners share that.
	// The zero Policy lets readers on this machine in, no one else.
	Readers viewers.Policy
	// User and Pass are a shorthand for one more user who reads every
	// path. A password without a user is an error.
	User, Pass string
	// AuthMethods are how readers may send their password; none: see
	// EffectiveAuthMethods.
	AuthMethods []AuthMethod

	// ReadTimeout and WriteTimeout bound every exchange with a reader; a reader
	// that does not drain its connection for WriteTimeout is dropped rather
	// than allowed to hold memory. Default 10 s each.
	ReadTimeout, WriteTimeout time.Duration

	// Encryption is EncryptionNo (the default), EncryptionOptional or
	// EncryptionStrict. RTSPS readers connect to TLSAddress (default
	// DefaultTLSAddress), over TCP only (interleaved): RTP over plain UDP
	// would leave the TLS session's content in clear.
	Encryption string
	TLSAddress string
	// CertFile and KeyFile are the PEM certificate and key RTSPS serves,
	// read again when they change.
	CertFile, KeyFile string
}

// WithDefaults fills unset fields.
func (c ServerConfig) WithDefaults() ServerConfig {
	if c.Address == "" {
		c.Address = DefaultAddress
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 10 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.Encryption == "" {
		c.Encryption = EncryptionNo
	}
	if c.TLSAddress == "" && c.Encryption != EncryptionNo {
		c.TLSAddress = DefaultTLSAddress
	}
	return c
}

// Server is the RTSP reader protocol of the stream hub: it serves every path
// of the hub to RTSP players and NVRs. Paths the hub does not have get 404;
// paths not ready yet (a camera never reached) get 503.
type Server struct {
	cfg   ServerConfig
	hub   *stream.Hub
	srv   *gortsplib.Server
	addr  net.Addr
	tls   bool    // this server is RTSPS
	rtsps *Server // with EncryptionOptional, the RTSPS server beside this one

	mu    sync.Mutex
	paths map[string]*servedPath

	auth    *viewers.Auth
	methods []AuthMethod

	ctx      context.Context // ends every session's writer
	cancel   context.CancelFunc
	wg       sync.WaitGroup // the sessions' writers
	sessions atomic.Int64
}

// NewServer starts serving hub's paths over RTSP, RTSPS or both, as
// cfg.Encryption says.
func NewServer(cfg ServerConfig, hub *stream.Hub) (*Server, error) {
	cfg = cfg.WithDefaults()
	if (cfg.UDPRTPAddress == "") != (cfg.UDPRTCPAddress == "") {
		return nil, errors.New("rtsp server: set both UDP RTP and RTCP addresses, or neither")
	}
	policy, err := cfg.ReadersPolicy()
	if err != nil {
		return nil, err
	}
	// RTSP and RTSPS share one Auth: one throttle of failed logins.
	auth := viewers.NewAuth(policy)
	if cfg.Encryption == EncryptionNo {
		return newServer(cfg, hub, nil, auth)
	}
	if cfg.Encryption != EncryptionOptional && cfg.Encryption != EncryptionStrict {
		return nil, fmt.Errorf("rtsp server: encryption %q is not %s, %s or %s", cfg.Encryption, EncryptionNo, EncryptionOptional, EncryptionStrict)
	}
	// The certificate's loader is shared with the other listeners that
	// serve the same files; cmd/camgate opens it first, with its logger.
	certs, err := certfile.Open(cfg.CertFile, cfg.KeyFile, zerolog.Nop())
	if err != nil {
		return nil, fmt.Errorf("rtsps server: %w", err)
	}
	if cfg.Encryption == EncryptionStrict {
		return newServer(cfg, hub, certs.TLSConfig(), auth)
	}
	s, err := newServer(cfg, hub, nil, auth)
	if err != nil {
		return nil, err
	}
	if s.rtsps, err = newServer(cfg, hub, certs.TLSConfig(), auth); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// newServer starts one gortsplib server: RTSP on cfg.Address, or, with a
// TLS configuration, RTSPS on cfg.TLSAddress, TCP only.
func newServer(cfg ServerConfig, hub *stream.Hub, tlsConfig *tls.Config, auth *viewers.Auth) (*Server, error) {
	s := &Server{
		cfg: cfg, hub: hub, paths: map[string]*servedPath{}, tls: tlsConfig != nil,
		auth: auth, methods: cfg.EffectiveAuthMethods(),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	address, udpRTP, udpRTCP := cfg.Address, cfg.UDPRTPAddress, cfg.UDPRTCPAddress
	if s.tls {
		address, udpRTP, udpRTCP = cfg.TLSAddress, "", ""
	}
	s.srv = &gortsplib.Server{
		Handler:        (*serverHandler)(s),
		RTSPAddress:    address,
		UDPRTPAddress:  udpRTP,
		UDPRTCPAddress: udpRTCP,
		TLSConfig:      tlsConfig,
		ReadTimeout:    cfg.ReadTimeout,
		WriteTimeout:   cfg.WriteTimeout,
		// 512 packets is about two 1080p keyframes: enough to ride out a slow
		// reader's hiccup, small enough to bound memory per reader. When it
		// is full the hub makes the reader skip to the next keyframe.
		WriteQueueSize: 512,
		MaxPacketSize:  maxPacketSize,
		AuthMethods:    verifyMethods(s.methods),
		Listen: func(network, address string) (net.Listener, error) {
			l, err := net.Listen(network, address)
			if err == nil {
				s.addr = l.Addr()
			}
			return l, err
		},
	}
	if err := s.srv.Start(); err != nil {
		s.cancel()
		return nil, fmt.Errorf("%s server on %s: %w", s.scheme(), address, err)
	}
	return s, nil
}

// Config returns the server's configuration, defaults filled in.
func (s *Server) Config() ServerConfig { return s.cfg }

// Addr returns the address the server listens on (with the real port when
// the configured one was 0): RTSP's, or RTSPS's with EncryptionStrict.
func (s *Server) Addr() net.Addr { return s.addr }

// TLSAddr returns the address RTSPS listens on, or nil without RTSPS.
func (s *Server) TLSAddr() net.Addr {
	switch {
	case s.tls:
		return s.addr
	case s.rtsps != nil:
		return s.rtsps.addr
	}
	return nil
}

func (s *Server) scheme() string {
	if s.tls {
		return "rtsps"
	}
	return "rtsp"
}

// URL returns the URL of a path on this server, for the local host:
// rtsp://, or rtsps:// with EncryptionStrict.
func (s *Server) URL(path string) string {
	host := "127.0.0.1"
	_, port, _ := net.SplitHostPort(DefaultAddress)
	if a, ok := s.addr.(*net.TCPAddr); ok {
		port = fmt.Sprint(a.Port)
		if !a.IP.IsUnspecified() && a.IP != nil {
			host = a.IP.String()
		}
	}
	return s.scheme() + "://" + net.JoinHostPort(host, port) + "/" + path
}

// TLSURL returns the rtsps:// URL of a path, or "" without RTSPS.
func (s *Server) TLSURL(path string) string {
	switch {
	case s.tls:
		return s.URL(path)
	case s.rtsps != nil:
		return s.rtsps.URL(path)
	}
	return ""
}

// Sessions returns the number of open RTSP and RTSPS sessions.
func (s *Server) Sessions() int {
	n := int(s.sessions.Load())
	if s.rtsps != nil {
		n += s.rtsps.Sessions()
	}
	return n
}

// Auth returns who may read what, for the other reader protocols to share:
// one throttle of failed logins, one cache of checked passwords.
func (s *Server) Auth() *viewers.Auth { return s.auth }

// Close ends every session and stops listening. The hub is its owner's to
// close.
func (s *Server) Close() error {
	if s.rtsps != nil {
		s.rtsps.Close()
	}
	s.cancel()
	s.srv.Close()
	s.wg.Wait()
	s.mu.Lock()
	paths := s.paths
	s.paths = map[string]*servedPath{}
	s.mu.Unlock()
	for _, p := range paths {
		p.close()
	}
	return nil
}

// serverHandler answers the readers' requests.
type serverHandler Server

func (h *serverHandler) find(c *gortsplib.ServerConn, req *base.Request, path string) (*base.Response, *gortsplib.ServerStream, error) {
	if res, err := h.authorize(c, req, path); res != nil {
		return res, nil, err
	}
	p, err := (*Server)(h).served(path)
	switch {
	case errors.Is(err, errNoPath):
		return &base.Response{StatusCode: base.StatusNotFound}, nil, err
	case err != nil:
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, nil, err
	}
	return &base.Response{StatusCode: base.StatusOK}, p.st, nil
}

// OnDescribe implements gortsplib.ServerHandlerOnDescribe.
func (h *serverHandler) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return h.find(ctx.Conn, ctx.Request, ctx.Path)
}

// OnSetup implements gortsplib.ServerHandlerOnSetup.
func (h *serverHandler) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return h.find(ctx.Conn, ctx.Request, ctx.Path)
}

// OnPlay implements gortsplib.ServerHandlerOnPlay: the session becomes a
// reader of the hub. Its writer goroutine may write at once: gortsplib queues
// what it writes until the PLAY response has gone out.
func (h *serverHandler) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	s := (*Server)(h)
	if _, playing := ctx.Session.UserData().(*stream.Reader); playing {
		return &base.Response{StatusCode: base.StatusOK}, nil // PLAY after PAUSE-less PLAY: nothing changes
	}
	p, err := s.served(ctx.Session.Path())
	if err != nil {
		return &base.Response{StatusCode: base.StatusNotFound}, err
	}
	if ctx.Session.Stream() != p.st {
		// The stream changed format between this session's SETUP and its
		// PLAY (the camera came back with other settings).
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, errors.New("the stream changed since SETUP: DESCRIBE it again")
	}
	r, err := p.src.AddReader()
	if err != nil {
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, err
	}
	ctx.Session.SetUserData(r)
	w := newSessionWriter(ctx.Session, p)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		w.run(s.ctx, r)
	}()
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnSessionOpen implements gortsplib.ServerHandlerOnSessionOpen.
func (h *serverHandler) OnSessionOpen(*gortsplib.ServerHandlerOnSessionOpenCtx) {
	h.sessions.Add(1)
}

// OnSessionClose implements gortsplib.ServerHandlerOnSessionClose.
func (h *serverHandler) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	h.sessions.Add(-1)
	if r, ok := ctx.Session.UserData().(*stream.Reader); ok {
		r.Close()
	}
}
