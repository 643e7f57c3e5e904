package api

import (
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// guard stops web pages from driving the API. A browser on this machine (or
// on the operator's network) runs pages from anywhere, and they can send
// requests to camgate's address:
//
//   - DNS rebinding: a page of evil.example whose name then resolves to
//     127.0.0.1 is, for the browser, same-origin with the API and may read
//     everything. Its requests carry Host: evil.example; camgate answers only
//     to IP addresses, localhost, the name it listens on and the names of
//     api.hosts. (An IP address cannot be rebound: no page of another site
//     has it as its origin.)
//   - Cross-site requests: a form or fetch() from another site. Changes
//     (POST, PUT, PATCH, DELETE) must come from the API's own origin
//     (Sec-Fetch-Site, else Origin against Host: net/http's
//     CrossOriginProtection) and, with a body, be Content-Type:
//     application/json, which no form can send and which a script of another
//     origin can send only after a CORS preflight that camgate never grants.
//     Reads a browser marks cross-site (Sec-Fetch-Site: cross-site) are
//     refused too, but for the health probes and for opening the dashboard's
//     page from a link.
//
// Clients that are not browsers (curl, camgate's own commands, Prometheus)
// send none of these headers and pass, with the token when there is one.
type guard struct {
	hosts  map[string]bool // names besides IP addresses and localhost
	origin *http.CrossOriginProtection
}

func newGuard(listen string, hosts []string) *guard {
	g := &guard{hosts: map[string]bool{}, origin: http.NewCrossOriginProtection()}
	if h, _, err := net.SplitHostPort(listen); err == nil && h != "" {
		g.hosts[hostName(h)] = true
	}
	for _, h := range hosts {
		g.hosts[hostName(h)] = true
	}
	return g
}

// securityHeaders are on every answer: no Referer from the dashboard (its
// URL may have held a token), no type sniffing, no framing by another origin, and no
// embedding of the API's answers (pictures included) by another origin.
var securityHeaders = map[string]string{
	"Referrer-Policy":              "no-referrer",
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "SAMEORIGIN",
	"Cross-Origin-Resource-Policy": "same-origin",
}

func (g *guard) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range securityHeaders {
			w.Header().Set(k, v)
		}
		if status, msg := g.check(r); status != 0 {
			writeError(w, status, "%s", msg)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// check returns the status and message of a refusal, or 0.
func (g *guard) check(r *http.Request) (int, string) {
	if !g.hostAllowed(r.Host) {
		return http.StatusMisdirectedRequest, "this API does not answer to the name " + quote(r.Host) +
			": if it is a name of this machine, add it to api.hosts in the configuration (or CAMGATE_API_HOSTS); camgate answers only to the names it is given, so that no web page can reach it through DNS rebinding"
	}
	if readOnly(r.Method) || r.Method == http.MethodOptions {
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" && !openToOtherSites(r) {
			return http.StatusForbidden, "refused: a page of another site asked for " + quote(r.URL.Path) + "; open camgate's dashboard, or call the API from a program"
		}
		return 0, ""
	}
	if err := g.origin.Check(r); err != nil {
		return http.StatusForbidden, "refused: a page of another origin (" + quote(r.Header.Get("Origin")) + ") cannot change camgate; call the API from a program, with its token"
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return http.StatusUnsupportedMediaType, "send the body as JSON, with Content-Type: application/json (got " + quote(r.Header.Get("Content-Type")) + ")"
		}
	}
	return 0, ""
}

// openToOtherSites: what a page of another site may ask for: the health
// probes (they say nothing), and the dashboard's page when a link opens it.
func openToOtherSites(r *http.Request) bool {
	switch r.URL.Path {
	case "/healthz", "/readyz":
		return true
	case "/":
		return r.Header.Get("Sec-Fetch-Mode") == "navigate"
	}
	return false
}

// hostAllowed reports whether the request's Host is one the API answers to.
func (g *guard) hostAllowed(hostport string) bool {
	if hostport == "" {
		return true // HTTP/1.0 without Host: not a browser
	}
	name := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		name = h
	}
	name = hostName(name)
	if _, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")); err == nil {
		return true
	}
	return name == "localhost" || g.hosts[name]
}

// hostName is a host name as the Host check compares it.
func hostName(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// quote shows a header's value in a message, cut short: it comes from the
// client.
func quote(s string) string {
	const max = 100
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
