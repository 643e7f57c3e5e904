package webrtc

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"github.com/camgate/camgate/internal/httplog"
	"github.com/camgate/camgate/internal/viewers"
	"github.com/camgate/camgate/stream"
)

// Default listeners.
const (
	DefaultAddress = ":8889"
	DefaultICEUDP  = ":8189"
	DefaultICETCP  = ":8189"
)

// DefaultSessionTimeout is how long a session may go without a working ICE
// connection (never connected after its answer, or disconnected) before it
// is closed.
const DefaultSessionTimeout = 15 * time.Second

// DefaultMaxSessions bounds the concurrent sessions; a POST beyond gets 503.
const DefaultMaxSessions = 1024

// maxOfferSize bounds an offer's body: browsers send 4 to 10 KiB.
const maxOfferSize = 64 << 10

// Config is the WHEP server's configuration.
type Config struct {
	Address string   // HTTP listener, e.g. ":8889" (":0" in tests)
	ICEUDP  string   // one UDP port for every session (ICE UDP mux); "" = off
	ICETCP  string   // one ICE-TCP listener; "" = off
	Hosts   []string // extra host candidate IPs to announce (NAT 1:1, containers)
	STUN    []string // optional STUN server URLs ("stun:host:port")

	// Auth says who may read which path (the RTSP server's, shared); nil:
	// readers on this machine only.
	Auth *viewers.Auth
	CORS viewers.CORS

	// TLS, when set, makes the listener HTTPS only: browsers need a secure
	// page for WebRTC beyond localhost.
	TLS *tls.Config

	// SessionTimeout is how long a session may be without a working ICE
	// connection (never connected, or disconnected) before it is closed;
	// 0 means DefaultSessionTimeout.
	SessionTimeout time.Duration

	// MaxSessions bounds the concurrent sessions; 0 means DefaultMaxSessions.
	MaxSessions int

	Log zerolog.Logger
}

// Server is the hub's WHEP reader protocol: an HTTP listener and the ICE
// sockets that every session shares.
type Server struct {
	cfg Config
	hub *stream.Hub
	log zerolog.Logger

	ln      net.Listener
	http    *http.Server
	httpErr chan error
	udpConn net.PacketConn
	udpMux  ice.UDPMux
	tcpLn   net.Listener
	tcpMux  ice.TCPMux

	settings   webrtc.SettingEngine
	iceServers []webrtc.ICEServer

	mu       sync.Mutex
	sessions map[string]*session
	closed   bool
	wg       sync.WaitGroup // sessions' goroutines and HTTP handlers in progress

	closeOnce sync.Once
}

//go:embed web/player.html web/whep.js
var web embed.FS

// NewServer listens on the HTTP address and the ICE sockets. On error,
// nothing is left open.
func NewServer(cfg Config, hub *stream.Hub) (s *Server, err error) {
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = DefaultSessionTimeout
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.Auth == nil {
		cfg.Auth = viewers.NewAuth(viewers.Policy{})
	}
	for _, h := range cfg.Hosts {
		if net.ParseIP(h) == nil {
			return nil, fmt.Errorf("webrtc: hosts: %q is not an IP address", h)
		}
	}
	s = &Server{cfg: cfg, hub: hub, log: cfg.Log, sessions: map[string]*session{}, httpErr: make(chan error, 1)}
	defer func() {
		if err != nil {
			s.closeSockets()
			s = nil
		}
	}()
	for _, u := range cfg.STUN {
		s.iceServers = append(s.iceServers, webrtc.ICEServer{URLs: []string{u}})
	}

	se := webrtc.SettingEngine{}
	se.LoggerFactory = quietLoggerFactory{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	// ICE itself gives up after the session timeout; the session also has
	// its own timer (a session whose peer never sent a binding request).
	disc := min(5*time.Second, cfg.SessionTimeout)
	se.SetICETimeouts(disc, cfg.SessionTimeout, 2*time.Second)
	se.SetSTUNGatherTimeout(5 * time.Second)
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	if cfg.ICEUDP != "" {
		if s.udpConn, err = net.ListenPacket("udp4", cfg.ICEUDP); err != nil {
			return nil, fmt.Errorf("webrtc: ICE UDP listener: %w", err)
		}
		s.udpMux = ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: s.udpConn, Logger: quietLogger{}})
		se.SetICEUDPMux(s.udpMux)
	}
	if cfg.ICETCP != "" {
		if s.tcpLn, err = net.Listen("tcp4", cfg.ICETCP); err != nil {
			return nil, fmt.Errorf("webrtc: ICE TCP listener: %w", err)
		}
		s.tcpMux = webrtc.NewICETCPMux(quietLogger{}, s.tcpLn, 8)
		se.SetICETCPMux(s.tcpMux)
		networks = append(networks, webrtc.NetworkTypeTCP4)
	}
	se.SetNetworkTypes(networks)
	if len(cfg.Hosts) > 0 {
		if err = se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        cfg.Hosts,
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteAppend,
		}); err != nil {
			return nil, fmt.Errorf("webrtc: hosts: %w", err)
		}
	}
	s.settings = se

	if s.ln, err = net.Listen("tcp", cfg.Address); err != nil {
		return nil, fmt.Errorf("webrtc: HTTP listener: %w", err)
	}
	if cfg.TLS != nil {
		s.ln = tls.NewListener(s.ln, cfg.TLS)
	}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          httplog.New(s.log),
	}
	ln := s.ln
	go func() { s.httpErr <- s.http.Serve(ln) }()
	return s, nil
}

// Addr is the HTTP listener's address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// ICEUDPAddr is the ICE UDP socket's address, or nil when it is off.
func (s *Server) ICEUDPAddr() net.Addr {
	if s.udpConn == nil {
		return nil
	}
	return s.udpConn.LocalAddr()
}

// URL is the player page of path on this server, on 127.0.0.1 when the
// listener is on every interface.
func (s *Server) URL(path string) string {
	host, port, _ := net.SplitHostPort(s.ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http"
	if s.cfg.TLS != nil {
		scheme = "https"
	}
	u := scheme + "://" + net.JoinHostPort(host, port) + "/"
	if p := strings.Trim(path, "/"); p != "" {
		u += p + "/"
	}
	return u
}

// Sessions is the number of sessions open now (answered and not yet ended).
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Close ends every session, waits for their goroutines and closes the
// sockets. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		_ = s.http.Close()
		<-s.httpErr
		s.mu.Lock()
		s.closed = true
		sessions := make([]*session, 0, len(s.sessions))
		for _, ss := range s.sessions {
			sessions = append(sessions, ss)
		}
		s.mu.Unlock()
		for _, ss := range sessions {
			ss.end(errServerClosed)
		}
		s.wg.Wait()
		s.closeSockets()
	})
	return nil
}

var errServerClosed = errors.New("server closed")

func (s *Server) closeSockets() {
	if s.ln != nil {
		_ = s.ln.Close()
	}
	if s.udpMux != nil {
		_ = s.udpMux.Close()
	}
	if s.udpConn != nil {
		_ = s.udpConn.Close()
	}
	if s.tcpMux != nil {
		_ = s.tcpMux.Close()
	}
	if s.tcpLn != nil {
		_ = s.tcpLn.Close()
	}
}

// enter counts an HTTP handler, so that Close waits for it; false once the
// server is closing.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

const exposed = "Location, ETag, Link, Accept-Patch, Accept-Post, X-Camgate-Audio"

// ServeHTTP routes:
//
//	GET     /whep.js, /<path>/whep.js      the WHEP client script
//	GET     /<path>/                       the player page
//	OPTIONS /<path>/whep                   WHEP options (ICE servers in Link)
//	POST    /<path>/whep                   offer in, answer out (201)
//	PATCH   /<path>/whep/<session>         trickle ICE candidates (204)
//	DELETE  /<path>/whep/<session>         ends the session (200)
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "503 the WebRTC server is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	w.Header().Set("Cache-Control", "no-store")

	p := strings.TrimPrefix(r.URL.Path, "/")
	if p == "whep.js" || strings.HasSuffix(p, "/whep.js") {
		s.cors(w, r, "GET, OPTIONS")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		s.serveFile(w, r, "web/whep.js", "text/javascript; charset=utf-8")
		return
	}
	if i := strings.LastIndex(p, "/whep"); i >= 0 && (i+5 == len(p) || p[i+5] == '/') {
		path, rest := p[:i], strings.TrimPrefix(p[i+5:], "/")
		if rest == "" {
			s.serveWHEP(w, r, path)
		} else {
			s.serveSession(w, r, path, rest)
		}
		return
	}
	if strings.HasSuffix(p, "/") && len(p) > 1 {
		s.cors(w, r, "GET, OPTIONS")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, OPTIONS")
			http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
			return
		}
		path := strings.Trim(p, "/")
		if !s.cfg.Auth.AllowRead(w, r, path, "camgate") {
			return
		}
		if s.hub.Stream(path) == nil {
			http.Error(w, fmt.Sprintf("404 no stream is published at %q", path), http.StatusNotFound)
			return
		}
		s.serveFile(w, r, "web/player.html", "text/html; charset=utf-8")
		return
	}
	if p != "" && !strings.Contains(p, ".") && r.Method == http.MethodGet {
		// /cam1/main → /cam1/main/, so that the page's relative URLs work.
		u := *r.URL
		u.Path += "/"
		http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
		return
	}
	http.Error(w, "404 not found: WHEP is POST /<path>/whep, the player GET /<path>/", http.StatusNotFound)
}

func (s *Server) cors(w http.ResponseWriter, r *http.Request, methods string) (preflight bool) {
	return s.cfg.CORS.Apply(w, r, methods, exposed)
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, name, ctype string) {
	b, err := web.ReadFile(name)
	if err != nil {
		http.Error(w, "500 "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(b)
}

func (s *Server) linkHeaders(w http.ResponseWriter) {
	for _, u := range s.cfg.STUN {
		w.Header().Add("Link", "<"+u+">; rel=\"ice-server\"")
	}
}

const whepMethods = "OPTIONS, POST"

func (s *Server) serveWHEP(w http.ResponseWriter, r *http.Request, path string) {
	switch r.Method {
	case http.MethodOptions:
		w.Header().Set("Accept-Post", "application/sdp")
		w.Header().Set("Allow", whepMethods)
		s.linkHeaders(w)
		if !s.cors(w, r, whepMethods) {
			w.WriteHeader(http.StatusNoContent)
		}
		return
	case http.MethodPost:
	default:
		s.cors(w, r, whepMethods)
		w.Header().Set("Allow", whepMethods)
		http.Error(w, "405 method not allowed: WHEP takes POST", http.StatusMethodNotAllowed)
		return
	}
	s.cors(w, r, whepMethods)
	if !s.cfg.Auth.AllowRead(w, r, path, "camgate") {
		return
	}
	st := s.hub.Stream(path)
	if st == nil {
		http.Error(w, fmt.Sprintf("404 no stream is published at %q", path), http.StatusNotFound)
		return
	}
	desc, _, ready := st.Description()
	if !ready {
		http.Error(w, fmt.Sprintf("503 stream %q is not ready: its camera has not connected yet", path), http.StatusServiceUnavailable)
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/sdp" {
		http.Error(w, "415 unsupported media type: a WHEP offer is Content-Type application/sdp", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxOfferSize+1))
	if err != nil {
		http.Error(w, "400 reading the offer: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > maxOfferSize {
		http.Error(w, "413 the offer is larger than 64 KiB", http.StatusRequestEntityTooLarge)
		return
	}
	o, err := parseOffer(body)
	if err != nil {
		http.Error(w, "400 "+err.Error(), http.StatusBadRequest)
		return
	}
	plan, err := planSession(path, &desc, o)
	if err != nil {
		http.Error(w, "400 "+err.Error(), http.StatusBadRequest)
		return
	}
	if plan.audioNote != "" {
		w.Header().Set("X-Camgate-Audio", plan.audioNote)
		s.log.Debug().Str("path", path).Msg("webrtc: " + plan.audioNote)
	}

	id := uuid.NewString()
	s.mu.Lock()
	if len(s.sessions) >= s.cfg.MaxSessions {
		s.mu.Unlock()
		http.Error(w, fmt.Sprintf("503 too many WebRTC sessions (%d)", s.cfg.MaxSessions), http.StatusServiceUnavailable)
		return
	}
	ss := newSession(s, id, st, plan)
	s.sessions[id] = ss // reserved: a concurrent POST counts it
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	answer, err := ss.start(ctx, string(body))
	cancel()
	if err != nil {
		ss.finish()
		s.log.Debug().Err(err).Str("path", path).Msg("webrtc: session not started")
		http.Error(w, "400 "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ss.finish()
		http.Error(w, "503 the WebRTC server is shutting down", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go ss.run()

	s.log.Debug().Str("path", path).Str("session", id).Str("remote", r.RemoteAddr).Msg("webrtc: session answered")
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/"+path+"/whep/"+id)
	w.Header().Set("ETag", `"`+id+`"`)
	w.Header().Set("Accept-Patch", "application/trickle-ice-sdpfrag")
	s.linkHeaders(w)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

func (s *Server) serveSession(w http.ResponseWriter, r *http.Request, path, id string) {
	const methods = "OPTIONS, PATCH, DELETE"
	if s.cors(w, r, methods) {
		return
	}
	if r.Method == http.MethodOptions {
		w.Header().Set("Allow", methods)
		w.Header().Set("Accept-Patch", "application/trickle-ice-sdpfrag")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if !s.cfg.Auth.AllowRead(w, r, path, "camgate") {
		return
	}
	s.mu.Lock()
	ss := s.sessions[id]
	s.mu.Unlock()
	if ss == nil || ss.path != path {
		http.Error(w, "404 no such WHEP session (it ended, or never was)", http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodDelete:
		ss.end(errDeleted)
		<-ss.done
		w.WriteHeader(http.StatusOK)
	case http.MethodPatch:
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/trickle-ice-sdpfrag" {
			http.Error(w, "415 unsupported media type: PATCH takes application/trickle-ice-sdpfrag", http.StatusUnsupportedMediaType)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxOfferSize))
		if err != nil {
			http.Error(w, "400 "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := ss.addCandidates(string(body)); err != nil {
			http.Error(w, "400 "+err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", methods)
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
	}
}

var errDeleted = errors.New("ended by DELETE")

// quietLogger drops pion's logs: its warnings (a browser's unknown
// candidate, a late packet) are not camgate's to report.
type quietLogger struct{}

func (quietLogger) Trace(string)          {}
func (quietLogger) Tracef(string, ...any) {}
func (quietLogger) Debug(string)          {}
func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Info(string)           {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Warn(string)           {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Error(string)          {}
func (quietLogger) Errorf(string, ...any) {}

type quietLoggerFactory struct{}

func (quietLoggerFactory) NewLogger(string) logging.LeveledLogger { return quietLogger{} }
