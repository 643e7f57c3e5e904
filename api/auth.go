package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// role is what a request's token allows.
type role int

const (
	roleNone  role = iota // no token, or a wrong one
	roleRead              // api.read_token: GET only
	roleAdmin             // api.token: everything
)

// tokens holds the API's tokens as SHA-256 digests. Comparing digests in
// constant time takes the same time whatever the length of the token sent
// and of the one expected, so timing tells nothing about either; comparing
// the tokens themselves would stop at the first length mismatch.
type tokens struct {
	admin, read       [sha256.Size]byte
	hasAdmin, hasRead bool
}

func newTokens(admin, read string) tokens {
	t := tokens{hasAdmin: admin != "", hasRead: read != ""}
	t.admin, t.read = sha256.Sum256([]byte(admin)), sha256.Sum256([]byte(read))
	return t
}

// required reports whether requests need a token at all.
func (t tokens) required() bool { return t.hasAdmin || t.hasRead }

// role returns what the token got allows. Both digests are compared every
// time, so which token matched does not show in the time taken either.
func (t tokens) role(got string) role {
	if got == "" {
		return roleNone
	}
	h := sha256.Sum256([]byte(got))
	admin := subtle.ConstantTimeCompare(h[:], t.admin[:]) & boolInt(t.hasAdmin)
	read := subtle.ConstantTimeCompare(h[:], t.read[:]) & boolInt(t.hasRead)
	switch {
	case admin == 1:
		return roleAdmin
	case read == 1:
		return roleRead
	}
	return roleNone
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// tokenCookie carries the token of a dashboard's browser, which cannot send
// an Authorization header when it loads a page or a picture.
const tokenCookie = "camgate_token"

// presentedToken returns the request's token: Authorization: Bearer, else
// the dashboard's cookie. A token in the URL is not taken here: see login.
func presentedToken(r *http.Request) string {
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(tok)
	}
	if c, err := r.Cookie(tokenCookie); err == nil {
		return c.Value
	}
	return ""
}

// readOnly reports whether a method only reads.
func readOnly(method string) bool { return method == http.MethodGet || method == http.MethodHead }

// auth requires a token when the API has one: the admin token for
// everything, the read token for reading only.
func (s *Server) auth(h http.Handler) http.Handler {
	if !s.tokens.required() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && r.URL.Query().Has("token") {
			s.login(w, r)
			return
		}
		switch s.tokens.role(presentedToken(r)) {
		case roleNone:
			w.Header().Set("WWW-Authenticate", `Bearer realm="camgate"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong token: send Authorization: Bearer <api.token> (or <api.read_token> to read)")
			return
		case roleRead:
			if !readOnly(r.Method) {
				writeError(w, http.StatusForbidden, "the read token (api.read_token) only reads: changing cameras and grids needs api.token")
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// login takes the dashboard's token from its URL (/?token=…), once: it sets
// the cookie and redirects to the same page without the token.
//
// Why a token in a URL at all: a browser cannot send a header when it opens
// a link, and a link (or a QR code on a phone) is how the dashboard is
// opened. The URL is then a secret for as long as it lives, so it lives as
// short as possible: only the dashboard's page accepts it (never /v1/, where
// scripts send the header), a wrong token sets nothing, the redirect takes it
// out of the address bar and of the page's own URL (so scripts, bookmarks
// and Referer headers never see it), and every answer carries
// Referrer-Policy: no-referrer. It can still be in the browser's history of
// typed URLs and in the logs of a proxy in front of camgate: the README says
// so, and says to prefer typing the token once at the login prompt of a
// proxy, or a read token, which can change nothing.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tok := q.Get("token")
	if s.tokens.role(tok) == roleNone {
		w.Header().Set("WWW-Authenticate", `Bearer realm="camgate"`)
		writeError(w, http.StatusUnauthorized, "wrong token in the URL: open the dashboard as /?token=<api.token or api.read_token>")
		return
	}
	// Lax, not Strict: the redirect that follows a link opened from another
	// site (a chat, a mail) is still that site's navigation, which a Strict
	// cookie would miss. What Lax lets through, top-level GET navigations
	// from other sites, the guard refuses anywhere but the dashboard's page.
	http.SetCookie(w, &http.Cookie{
		Name: tokenCookie, Value: tok, Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
	q.Del("token")
	target := "/"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}
