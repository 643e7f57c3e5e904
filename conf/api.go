package conf

import (
	"fmt"
	"net"
	"strings"
)

// apiHostName checks a name of api.hosts and returns it as the Host check
// compares it: lower case, without a trailing dot.
func apiHostName(h string) (string, error) {
	name := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
	switch {
	case name == "":
		return "", fmt.Errorf("an empty name")
	case strings.ContainsAny(name, "/:@ *[]"):
		return "", fmt.Errorf("%q: a host name without scheme, port or wildcard (nvr.lan, camgate.example.com)", h)
	}
	return name, nil
}

// Loopback reports whether addr (host:port) only accepts connections from
// this machine.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Warnings lists what in the api section looks secure but is not, for the
// log at start and for camgate check: a read token sent in clear beyond this
// machine. https says whether the API serves HTTPS. (The admin token's
// warning is with the other credentials in clear, in cmd/camgate's
// plainCredentials.)
func (a APIConfig) Warnings(https bool) []string {
	if a.Off() || https || Loopback(a.Listen) || a.ReadToken == "" {
		return nil
	}
	return []string{fmt.Sprintf("api.read_token over plain HTTP on %s: anyone on the path reads it and reads every camera with it; set tls: {cert: ..., key: ...} (or api.tls), or keep the API on 127.0.0.1 behind an SSH tunnel or a reverse proxy with TLS", a.Listen)}
}
