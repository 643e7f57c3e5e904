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
// log at start and for camgate check. https says whether the API serves
// HTTPS.
func (a APIConfig) Warnings(https bool) []string {
	if a.Off() || https || Loopback(a.Listen) {
		return nil
	}
	var w []string
	for _, t := range []struct{ name, value string }{{"api.token", a.Token}, {"api.read_token", a.ReadToken}} {
		if t.value != "" {
			w = append(w, fmt.Sprintf("%s is sent in clear: the API listens on %s, beyond this machine, over plain HTTP; anyone on the network path can read the token and use it. Serve the API over HTTPS, or keep it on 127.0.0.1 and reach it through an SSH tunnel or a reverse proxy with TLS", t.name, a.Listen))
		}
	}
	return w
}
