// Package api is camgate's HTTP interface: the JSON API under /v1/, health
// and readiness probes, Prometheus metrics and the web dashboard.
package api

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/internal/httplog"
	"github.com/camgate/camgate/pipeline"
)

// Config configures the API server.
type Config struct {
	// Address to listen on. Default conf.DefaultAPIListen: only this machine.
	Address string
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every request but the health probes. Listening beyond loopback without
	// one is refused.
	Token string
	// ReadToken, when set, is accepted instead of Token for reading (GET):
	// cameras, grids, snapshots, metrics, the dashboard. It needs Token.
	ReadToken string
	// Hosts are the names, besides IP addresses, localhost and the one in
	// Address, that requests may carry in their Host (api.hosts).
	Hosts []string
	// Version is shown by the dashboard and /v1/version.
	Version string
	// Live says where browsers play the streams (the dashboard's live view).
	Live Live
	// TLS, when set, makes the listener HTTPS only.
	TLS *tls.Config
}

// Server serves the API.
type Server struct {
	cfg    Config
	tokens tokens
	guard  *guard
	gw     *pipeline.Gateway
	doc    *conf.Document
	log    zerolog.Logger
	http   *http.Server
	ln     net.Listener
	done   chan struct{}
	reg    *prometheus.Registry
}

// New makes the server; Start listens. doc is the configuration document that
// changes made through the API are applied from and saved to.
func New(cfg Config, gw *pipeline.Gateway, doc *conf.Document, log zerolog.Logger) (*Server, error) {
	if cfg.Address == "" {
		cfg.Address = conf.DefaultAPIListen
	}
	if cfg.Token == "" && !conf.Loopback(cfg.Address) {
		return nil, fmt.Errorf("api: listening on %s, beyond this machine, needs a token (api.token in the configuration): refusing to expose camera control without one", cfg.Address)
	}
	if cfg.ReadToken != "" && cfg.Token == "" {
		return nil, fmt.Errorf("api: a read token without an admin token would leave changes open to anyone: set api.token too")
	}
	s := &Server{
		cfg: cfg, tokens: newTokens(cfg.Token, cfg.ReadToken), guard: newGuard(cfg.Address, cfg.Hosts),
		gw: gw, doc: doc, log: log.With().Str("component", "api").Logger(), done: make(chan struct{}),
	}
	s.reg = prometheus.NewRegistry()
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newCollector(gw))
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: httplog.New(s.log)}
	// This API serves plain HTTP.
	for _, w := range (conf.APIConfig{Listen: cfg.Address, Token: cfg.Token, ReadToken: cfg.ReadToken}).Warnings(cfg.TLS != nil) {
		s.log.Warn().Msg(w)
	}
	return s, nil
}

// Start listens and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Address)
	if err != nil {
		return fmt.Errorf("api: listen on %s: %w", s.cfg.Address, err)
	}
	if s.cfg.TLS != nil {
		ln = tls.NewListener(ln, s.cfg.TLS)
	}
	s.ln = ln
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error().Err(err).Msg("serve")
		}
	}()
	s.log.Info().Str("address", ln.Addr().String()).Msg("API and dashboard listening")
	return nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL is the dashboard's URL: http://, or https:// with TLS.
func (s *Server) URL() string {
	if s.cfg.TLS != nil {
		return "https://" + s.ln.Addr().String() + "/"
	}
	return "http://" + s.ln.Addr().String() + "/"
}

// Close stops the server, ending open requests after a short grace.
func (s *Server) Close() error {
	if s.ln == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		s.http.Close()
	}
	<-s.done
	return nil
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.auth(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})))
	mux.Handle("GET /v1/version", s.auth(http.HandlerFunc(s.version)))
	mux.Handle("GET /v1/cameras", s.auth(http.HandlerFunc(s.listCameras)))
	mux.Handle("GET /v1/cameras/{name}", s.auth(http.HandlerFunc(s.getCamera)))
	mux.Handle("GET /v1/cameras/{name}/snapshot.jpg", s.auth(http.HandlerFunc(s.snapshot)))
	mux.Handle("GET /v1/grids/{name}/snapshot.jpg", s.auth(http.HandlerFunc(s.gridSnapshot)))
	mux.Handle("POST /v1/cameras", s.auth(http.HandlerFunc(s.putEntry("cameras", true))))
	mux.Handle("PUT /v1/cameras/{name}", s.auth(http.HandlerFunc(s.putEntry("cameras", false))))
	mux.Handle("DELETE /v1/cameras/{name}", s.auth(http.HandlerFunc(s.deleteEntry("cameras"))))
	mux.Handle("GET /v1/grids", s.auth(http.HandlerFunc(s.listGrids)))
	mux.Handle("GET /v1/grids/{name}", s.auth(http.HandlerFunc(s.getGrid)))
	mux.Handle("POST /v1/grids", s.auth(http.HandlerFunc(s.putEntry("grids", true))))
	mux.Handle("PUT /v1/grids/{name}", s.auth(http.HandlerFunc(s.putEntry("grids", false))))
	mux.Handle("DELETE /v1/grids/{name}", s.auth(http.HandlerFunc(s.deleteEntry("grids"))))
	mux.Handle("GET /{$}", s.auth(http.HandlerFunc(s.dashboard)))
	mux.Handle("GET /static/hls.min.js", s.auth(http.HandlerFunc(s.hlsScript)))
	mux.Handle("GET /static/", s.auth(http.StripPrefix("/static/", http.FileServerFS(staticFS))))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
	})
	return s.guard.wrap(mux)
}

type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, apiError{Error: fmt.Sprintf(format, args...)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"camgate": s.cfg.Version})
}
