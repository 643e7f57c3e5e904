package api

import (
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRequestGuard: no Host, Origin, Sec-Fetch-Site or Content-Type crashes
// the guard, and whatever it lets through keeps its promises: a name the API
// answers to, no change from another origin, no change without JSON, no read
// a browser marks cross-site but the open ones.
func FuzzRequestGuard(f *testing.F) {
	f.Add(uint8(2), "127.0.0.1:9997", "/v1/cameras", "http://evil.example", "", "text/plain")
	f.Add(uint8(2), "127.0.0.1:9997", "/v1/cameras", "http://127.0.0.1:9997", "same-origin", "application/json; charset=utf-8")
	f.Add(uint8(0), "evil.example:9997", "/v1/cameras", "", "", "")
	f.Add(uint8(0), "[::1]:9997", "/v1/cameras/a/snapshot.jpg", "", "cross-site", "")
	f.Add(uint8(3), "NVR.LAN.", "/v1/cameras/a", "null", "same-site", "application/json")
	f.Add(uint8(5), "localhost", "/v1/grids/g", "http://localhost", "none", "")
	f.Add(uint8(0), "[fe80::1%eth0]:1", "/", "", "cross-site", "")
	f.Fuzz(func(t *testing.T, m uint8, host, path, origin, site, ctype string) {
		methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
		method := methods[int(m)%len(methods)]
		r := &http.Request{Method: method, Host: host, URL: &url.URL{Path: path}, Header: http.Header{}}
		for k, v := range map[string]string{"Origin": origin, "Sec-Fetch-Site": site, "Content-Type": ctype} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		g := newGuard("127.0.0.1:9997", []string{"nvr.lan"})
		status, msg := g.check(r)
		switch status {
		case 0:
		case http.StatusForbidden, http.StatusUnsupportedMediaType, http.StatusMisdirectedRequest:
			if !utf8.ValidString(msg) || msg == "" {
				t.Fatalf("refusal %d with message %q", status, msg)
			}
			return
		default:
			t.Fatalf("status %d", status)
		}
		if !answersTo(host) {
			t.Fatalf("let through Host %q", host)
		}
		if readOnly(method) || method == "OPTIONS" {
			if site == "cross-site" && path != "/healthz" && path != "/readyz" && path != "/" {
				t.Fatalf("let a cross-site page read %q", path)
			}
			return
		}
		switch site {
		case "", "same-origin", "none":
		default:
			t.Fatalf("let a %s change %s %q", site, method, path)
		}
		if site == "" && origin != "" {
			if u, err := url.Parse(origin); err != nil || u.Host != host {
				t.Fatalf("let Origin %q change through Host %q", origin, host)
			}
		}
		if method == "POST" || method == "PUT" || method == "PATCH" {
			if mt, _, err := mime.ParseMediaType(ctype); err != nil || mt != "application/json" {
				t.Fatalf("let %s through with Content-Type %q", method, ctype)
			}
		}
	})
}

// answersTo is the Host rule, written out again: an IP address, localhost,
// the listen address or a listed name, any case, one trailing dot.
func answersTo(host string) bool {
	if host == "" {
		return true
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if _, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")); err == nil {
		return true
	}
	return name == "localhost" || name == "nvr.lan" || name == "127.0.0.1"
}
