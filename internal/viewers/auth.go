package viewers

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Credentials are what a viewer must present. With neither a user nor a
// token set, every viewer is allowed: camgate's readers are open unless the
// configuration says otherwise, like its RTSP server.
type Credentials struct {
	User, Pass string // HTTP Basic, or ?user=&pass= (MediaMTX's form)
	// Token is accepted as "Authorization: Bearer <token>" or ?token=<token>,
	// for players that cannot send a Basic header (an <iframe>, a <video>
	// element playing HLS natively).
	Token string
}

// Required reports whether viewers must present anything at all.
func (c Credentials) Required() bool { return c.User != "" || c.Token != "" }

// Allow reports whether r carries valid credentials (always, when none are
// required). It compares in constant time.
func (c Credentials) Allow(r *http.Request) bool {
	if !c.Required() {
		return true
	}
	if c.User != "" {
		if u, p, ok := r.BasicAuth(); ok && c.userPass(u, p) {
			return true
		}
		q := r.URL.Query()
		if q.Has("user") && c.userPass(q.Get("user"), q.Get("pass")) {
			return true
		}
	}
	if c.Token != "" {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && equal(tok, c.Token) {
			return true
		}
		if tok := r.URL.Query().Get("token"); tok != "" && equal(tok, c.Token) {
			return true
		}
	}
	return false
}

func (c Credentials) userPass(u, p string) bool {
	// Both compared, always, so the time does not say which one was wrong.
	okU, okP := equal(u, c.User), equal(p, c.Pass)
	return okU && okP
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Refuse answers 401 with a Basic challenge when user and password are
// configured (a browser then asks for them), or a Bearer one otherwise.
func (c Credentials) Refuse(w http.ResponseWriter, realm string) {
	if c.User != "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`", charset="UTF-8"`)
	} else {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`"`)
	}
	http.Error(w, "401 unauthorized: this camgate requires the readers' credentials (HTTP Basic, a Bearer token, or ?token=)", http.StatusUnauthorized)
}
