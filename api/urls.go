package api

import (
	"net"
	"net/http"
	"net/url"
)

// rtspURL is the URL of a path for a client that reached the API at host:
// rtsp://, or rtsps:// when the server serves RTSPS only.
func (s *Server) rtspURL(r *http.Request, path string) string {
	u := s.gw.Server().URL(path)
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	parsed, err := url.Parse(u)
	if host == "" || err != nil {
		return u
	}
	// Replace the host of the server's own URL by the one the client used.
	parsed.Host = net.JoinHostPort(host, parsed.Port())
	return parsed.String()
}
