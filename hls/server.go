package hls

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/internal/httplog"
	"github.com/camgate/camgate/internal/viewers"
	"github.com/camgate/camgate/stream"
)

// DefaultAddress is where the HLS listener listens by default (MediaMTX's
// port, so that players configured for it find camgate's streams).
const DefaultAddress = ":8888"

// Defaults of Config.
const (
	DefaultIdleTimeout     = 60 * time.Second
	DefaultSegmentCount    = 7 // the least Low-Latency HLS allows
	DefaultSegmentDuration = time.Second
	DefaultPartDuration    = 200 * time.Millisecond
)

const (
	realm = "camgate"
	// maxURLPath bounds the request paths the server looks at.
	maxURLPath = 1024
	// readyWait is how long a playlist request waits for a new muxer's
	// first segment before it is answered 404 (players retry); a player's
	// own timeout for a playlist is about 10 s.
	readyWait = 8 * time.Second
)

// Config is the HLS listener's configuration.
type Config struct {
	Address string        // ":8888"; ":0" picks a free port
	Auth    *viewers.Auth // who may read which path (the RTSP server's, shared); nil: readers on this machine only
	CORS    viewers.CORS  // web origins that may embed the players
	// IdleTimeout closes a muxer nobody requested anything from for this long.
	IdleTimeout time.Duration
	// SegmentCount segments are kept in memory (at least 7, for LL-HLS);
	// SegmentDuration and PartDuration are their least durations (a segment
	// starts at a keyframe, so it lasts at least one GOP).
	SegmentCount    int
	SegmentDuration time.Duration
	PartDuration    time.Duration
	Log             zerolog.Logger
	// TLS, when set, makes the listener HTTPS only.
	TLS *tls.Config
}

func (c *Config) setDefaults() {
	if c.Address == "" {
		c.Address = DefaultAddress
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.SegmentCount < DefaultSegmentCount {
		c.SegmentCount = DefaultSegmentCount
	}
	if c.SegmentDuration <= 0 {
		c.SegmentDuration = DefaultSegmentDuration
	}
	if c.PartDuration <= 0 {
		c.PartDuration = DefaultPartDuration
	}
}

// Server is the LL-HLS reader protocol of the stream hub: one HTTP listener,
// and one muxer per path that someone watches, created on the first request
// and closed when nobody has asked for it for IdleTimeout.
type Server struct {
	cfg  Config
	hub  *stream.Hub
	ln   net.Listener
	srv  *http.Server
	log  zerolog.Logger
	ctx  context.Context
	stop context.CancelFunc

	mu       sync.Mutex
	muxers   map[string]*muxer
	closed   bool
	inflight sync.WaitGroup // requests being handled; Add only under mu while !closed

	wg        sync.WaitGroup // the serve loop, the janitor and every muxer's goroutine
	closeOnce sync.Once
}

// NewServer listens on cfg.Address and serves the hub's streams. Nothing is
// left open when it fails.
func NewServer(cfg Config, hub *stream.Hub) (*Server, error) {
	if hub == nil {
		return nil, errors.New("hls: no stream hub")
	}
	cfg.setDefaults()
	if cfg.Auth == nil {
		cfg.Auth = viewers.NewAuth(viewers.Policy{})
	}
	ln, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("hls: listen on %s: %w", cfg.Address, err)
	}
	if cfg.TLS != nil {
		ln = tls.NewListener(ln, cfg.TLS)
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{
		cfg: cfg, hub: hub, ln: ln, log: cfg.Log.With().Str("protocol", "hls").Logger(),
		ctx: ctx, stop: stop, muxers: map[string]*muxer{},
	}
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          httplog.New(s.log),
	}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error().Err(err).Msg("HLS listener stopped")
		}
	}()
	go func() {
		defer s.wg.Done()
		s.janitor()
	}()
	s.log.Info().Str("address", ln.Addr().String()).Msg("HLS listener ready")
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL returns the multivariant playlist's URL of path, on the loopback
// address when the server listens on every address.
func (s *Server) URL(path string) string {
	host := "127.0.0.1"
	port := ""
	if a, ok := s.ln.Addr().(*net.TCPAddr); ok {
		port = fmt.Sprint(a.Port)
		if !a.IP.IsUnspecified() && a.IP != nil {
			host = a.IP.String()
		}
	}
	scheme := "http"
	if s.cfg.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/" + strings.Trim(path, "/") + "/index.m3u8"
}

// Muxers returns how many muxers are open.
func (s *Server) Muxers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.muxers)
}

// Close stops the listener, closes every muxer and returns when the
// server's goroutines and requests have ended. It is safe to call more than
// once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		muxers := s.muxers
		s.muxers = map[string]*muxer{}
		s.mu.Unlock()
		s.stop()
		_ = s.srv.Close() // the listener and every connection
		for _, m := range muxers {
			m.close(errServerClosed)
		}
		s.wg.Wait()
		// A request blocked in a muxer (a blocking playlist reload) was
		// released when its muxer closed.
		s.inflight.Wait()
		s.log.Info().Msg("HLS listener closed")
	})
	return nil
}

var errServerClosed = errors.New("server closed")

// janitor closes the muxers nobody requested for IdleTimeout.
func (s *Server) janitor() {
	tick := time.NewTicker(max(s.cfg.IdleTimeout/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-tick.C:
			s.mu.Lock()
			var idle []*muxer
			for _, m := range s.muxers {
				if m.idleSince(now) >= s.cfg.IdleTimeout {
					idle = append(idle, m)
				}
			}
			s.mu.Unlock()
			for _, m := range idle {
				m.close(errIdle)
			}
		}
	}
}

var errIdle = errors.New("nobody requested it")

// serveHTTP routes a request. URLs are MediaMTX's: /<path>/index.m3u8 and
// the muxer's files beside it, /<path>/ the player page.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// A bug must cost one request, never the process.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error().Interface("panic", v).Str("url", r.URL.Path).Msg("HLS request failed")
			http.Error(w, "500 internal error", http.StatusInternalServerError)
		}
	}()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "503 the HLS server is closing", http.StatusServiceUnavailable)
		return
	}
	s.inflight.Add(1)
	s.mu.Unlock()
	defer s.inflight.Done()

	if s.cfg.CORS.Apply(w, r, "GET, OPTIONS", "") {
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, OPTIONS")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if redirectToDir(w, r) {
		return
	}
	dir, file, ok := splitPath(r.URL.Path)
	if !ok {
		notFound(w, "404 not found: an HLS URL is /<path>/index.m3u8, or /<path>/ for the player page")
		return
	}
	if file == hlsJSName {
		// The public hls.js library: no secret in it, and a page loads it
		// without the query that carries its viewer's token.
		serveStatic(w, r, "application/javascript", hlsJS)
		return
	}
	if !s.cfg.Auth.AllowRead(w, r, dir, realm) {
		return
	}
	switch {
	case file == "":
		serveStatic(w, r, "text/html; charset=utf-8", playerPage)
	case file == "index.m3u8" || strings.HasSuffix(file, ".m3u8"):
		s.servePlaylist(w, r, dir)
	default:
		m := s.muxer(dir)
		if m == nil {
			notFound(w, fmt.Sprintf("404 not found: %s is not being muxed (request %s/index.m3u8 first)", file, dir))
			return
		}
		m.serve(w, r)
	}
}

// servePlaylist serves a playlist of path, creating its muxer if needed.
func (s *Server) servePlaylist(w http.ResponseWriter, r *http.Request, path string) {
	m, err := s.muxerFor(path)
	if err != nil {
		notFound(w, "404 "+err.Error())
		return
	}
	m.begin()
	defer m.end()
	select {
	case <-m.ready:
	case <-m.done:
		notFound(w, fmt.Sprintf("404 stream %q ended (%v); retry", path, m.err))
		return
	case <-r.Context().Done():
		return
	case <-time.After(readyWait):
		notFound(w, fmt.Sprintf("404 stream %q is not ready: no picture yet; retry", path))
		return
	}
	m.serve(w, r)
}

// muxer returns the open muxer of path, or nil.
func (s *Server) muxer(path string) *muxer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.muxers[path]
}

// muxerFor returns the muxer of path, creating it if the hub has a ready
// stream there.
func (s *Server) muxerFor(path string) (*muxer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errServerClosed
	}
	if m := s.muxers[path]; m != nil && m.ctx.Err() == nil {
		return m, nil
	}
	st := s.hub.Stream(path)
	if st == nil {
		return nil, fmt.Errorf("no stream at path %q", path)
	}
	m, err := newMuxer(s, path, st)
	if err != nil {
		return nil, fmt.Errorf("stream %q: %w", path, err)
	}
	s.muxers[path] = m
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		m.run()
		s.mu.Lock()
		if s.muxers[path] == m {
			delete(s.muxers, path)
		}
		s.mu.Unlock()
	}()
	return m, nil
}

// splitPath splits /<path>/<file> into the stream path and the file name
// ("" for /<path>/). It refuses what no stream path can be: empty, too long,
// empty, "." or ".." elements, control characters.
func splitPath(p string) (dir, file string, ok bool) {
	if len(p) > maxURLPath || !strings.HasPrefix(p, "/") {
		return "", "", false
	}
	p = p[1:]
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "", "", false // "/", "/x" (no trailing slash), "//"
	}
	dir, file = p[:i], p[i+1:]
	for _, el := range strings.Split(dir, "/") {
		if el == "" || el == "." || el == ".." {
			return "", "", false
		}
	}
	if file == "." || file == ".." {
		return "", "", false
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "", "", false
		}
	}
	return dir, file, true
}

// redirectToDir sends /<path> (no trailing slash, no file extension) to
// the player page /<path>/, keeping the query (its token).
func redirectToDir(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	if strings.HasSuffix(p, "/") || strings.Contains(p[strings.LastIndexByte(p, '/')+1:], ".") {
		return false
	}
	if _, _, ok := splitPath(p + "/"); !ok {
		return false
	}
	loc := p + "/"
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, loc, http.StatusFound)
	return true
}

func notFound(w http.ResponseWriter, msg string) {
	w.Header().Set("Cache-Control", "no-cache")
	http.Error(w, msg, http.StatusNotFound)
}

func serveStatic(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "max-age=3600")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
