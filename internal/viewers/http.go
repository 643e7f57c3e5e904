package viewers

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// RemoteAddr is the address of an HTTP request's client: the connection's,
// never a header's (X-Forwarded-For is whatever the client wants it to be).
func RemoteAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// Identify authenticates an HTTP request by what it carries: HTTP Basic, or
// ?user=&pass= (MediaMTX's form), or "Authorization: Bearer <token>", or
// ?token=<token> (for players that cannot send a header: an <iframe>, a
// <video> element playing HLS natively). Nothing: the anonymous identity.
func (a *Auth) Identify(r *http.Request) (Identity, Result) {
	addr := RemoteAddr(r)
	if u, p, ok := r.BasicAuth(); ok {
		return a.Password(addr, u, p)
	}
	q := r.URL.Query()
	if q.Has("user") {
		return a.Password(addr, q.Get("user"), q.Get("pass"))
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return a.Token(addr, tok)
	}
	if q.Has("token") {
		return a.Token(addr, q.Get("token"))
	}
	if d := a.Throttled(addr); d > 0 {
		return Identity{Addr: addr}, Throttled
	}
	return a.Anonymous(addr), Authenticated
}

// AllowRead reports whether r may read path; when it may not, it has
// answered: 401 with a challenge (no or wrong credentials), 403 (a user who
// may not read this path) or 429 with Retry-After (an address that failed
// too often).
func (a *Auth) AllowRead(w http.ResponseWriter, r *http.Request, path, realm string) bool {
	id, res := a.Identify(r)
	switch {
	case res == Throttled:
		a.refuseThrottled(w, a.throttle.blocked(id.Addr))
		return false
	case res == Failed:
		a.Challenge(w, realm)
		return false
	case a.Permits(id, ActionRead, path):
		return true
	case id.Anonymous():
		a.Challenge(w, realm)
		return false
	}
	http.Error(w, fmt.Sprintf("403 forbidden: user %q may not read %q", id.Name(), path), http.StatusForbidden)
	return false
}

// Challenge answers 401 with the challenges of the configured credentials:
// Basic when users have passwords (a browser then asks for them), Bearer
// when they have tokens.
func (a *Auth) Challenge(w http.ResponseWriter, realm string) {
	basic, bearer := false, false
	for _, u := range a.policy.Users {
		basic = basic || u.Password.Set()
		bearer = bearer || u.Token != ""
	}
	if basic || !bearer {
		w.Header().Add("WWW-Authenticate", `Basic realm="`+realm+`", charset="UTF-8"`)
	}
	if bearer {
		w.Header().Add("WWW-Authenticate", `Bearer realm="`+realm+`"`)
	}
	http.Error(w, "401 unauthorized: this camgate requires the readers' credentials (HTTP Basic, a Bearer token, or ?token=)", http.StatusUnauthorized)
}

func (a *Auth) refuseThrottled(w http.ResponseWriter, left time.Duration) {
	secs := max(int((left+time.Second-1)/time.Second), 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	http.Error(w, fmt.Sprintf("429 too many failed logins from this address: retry in %d s", secs), http.StatusTooManyRequests)
}
