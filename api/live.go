package api

import (
	"net"
	"net/http"
	"net/url"
	"strconv"

	"github.com/camgate/camgate/internal/viewers"
)

// Live says where browsers play the streams. The dashboard plays them from
// the WebRTC and HLS listeners, which are not the API's: they have their own
// ports and guard them with the readers' credentials, not the API token.
type Live struct {
	WebRTC net.Addr // the WebRTC listener; nil when off
	HLS    net.Addr // the HLS listener; nil when off
	// WebRTCTLS and HLSTLS say which of them serve HTTPS.
	WebRTCTLS, HLSTLS bool
	Readers           viewers.Credentials
	// HLSScript is hls.js, served to the dashboard for browsers without
	// native HLS; nil when there is none.
	HLSScript []byte
}

// liveURLs are the browser URLs of one path.
type liveURLs struct {
	Player    string `json:"player,omitempty"` // the WebRTC player page, for an <iframe>
	WHEP      string `json:"whep,omitempty"`   // the WHEP endpoint
	HLS       string `json:"hls,omitempty"`    // the LL-HLS playlist
	HLSPlayer string `json:"hls_player,omitempty"`
}

// liveURLs returns a path's browser URLs for a client that reached the API
// at r.Host. Credentials are not in them (the dashboard adds its query).
func (s *Server) liveURLs(r *http.Request, path string) *liveURLs {
	l := s.cfg.Live
	if l.WebRTC == nil && l.HLS == nil {
		return nil
	}
	u := &liveURLs{}
	if l.WebRTC != nil {
		base := httpBase(r, l.WebRTC, l.WebRTCTLS) + "/" + path + "/"
		u.Player, u.WHEP = base, base+"whep"
	}
	if l.HLS != nil {
		base := httpBase(r, l.HLS, l.HLSTLS) + "/" + path + "/"
		u.HLS, u.HLSPlayer = base+"index.m3u8", base
	}
	return u
}

// httpBase is http(s)://<the host the client reached the API at>:<port of addr>.
func httpBase(r *http.Request, addr net.Addr, tls bool) string {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if host == "" {
		host = "127.0.0.1"
	}
	port := "0"
	if ta, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(ta.Port)
	} else if _, p, err := net.SplitHostPort(addr.String()); err == nil {
		port = p
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// liveQuery is what the dashboard appends to its WebRTC and HLS requests:
// the readers' token, or their user and password, when they need any. The
// dashboard is behind the API's own guard, so whoever sees it may watch.
func (s *Server) liveQuery() string {
	c := s.cfg.Live.Readers
	switch {
	case c.Token != "":
		return url.Values{"token": {c.Token}}.Encode()
	case c.User != "":
		return url.Values{"user": {c.User}, "pass": {c.Pass}}.Encode()
	}
	return ""
}

func (s *Server) hlsScript(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Live.HLSScript == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/javascript")
	w.Header().Set("Cache-Control", "max-age=86400")
	w.Write(s.cfg.Live.HLSScript)
}
