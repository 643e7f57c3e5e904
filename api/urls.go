package api

import (
	"net"
	"net/http"
	"strings"
)

// rtspURL is the URL of a path for a client that reached the API at host.
func (s *Server) rtspURL(r *http.Request, path string) string {
	u := s.gw.Server().URL(path)
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if host == "" {
		return u
	}
	// Replace the host of the server's own URL by the one the client used.
	rest := strings.TrimPrefix(u, "rtsp://")
	_, port, _ := net.SplitHostPort(rest[:strings.IndexByte(rest, '/')])
	return "rtsp://" + net.JoinHostPort(host, port) + rest[strings.IndexByte(rest, '/'):]
}
