package viewers

import (
	"net/http"
	"slices"
)

// CORS says which web origins may use a listener from their pages: "*" (the
// default, as MediaMTX's) or a list of origins such as
// "https://cams.example.com". Readers' credentials travel in an
// Authorization header or the query, never in cookies, so "*" gives a page no
// access that its user could not have without it.
type CORS struct {
	Origins []string // none: DefaultOrigins
}

// DefaultOrigins lets any page embed the players.
var DefaultOrigins = []string{"*"}

// Apply sets the CORS headers of a response to r, for the given methods and
// any extra headers to expose. It reports whether r was a preflight, which
// it has answered (204), so the caller returns.
func (c CORS) Apply(w http.ResponseWriter, r *http.Request, methods string, expose string) (preflight bool) {
	origin := r.Header.Get("Origin")
	h := w.Header()
	origins := c.Origins
	if len(origins) == 0 {
		origins = DefaultOrigins
	}
	switch {
	case origin == "":
	case slices.Contains(origins, "*"):
		h.Set("Access-Control-Allow-Origin", "*")
	case slices.Contains(origins, origin):
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
	default:
		h.Add("Vary", "Origin")
	}
	if expose != "" {
		h.Set("Access-Control-Expose-Headers", expose)
	}
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", methods)
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}
