package api

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// serve starts another API in front of the fixture's gateway and document,
// with cfg (127.0.0.1:0 when cfg has no address), and returns its base URL.
func (fx *fixture) serve(cfg Config) string {
	fx.t.Helper()
	if cfg.Address == "" {
		cfg.Address = "127.0.0.1:0"
	}
	srv, err := New(cfg, fx.gw, fx.doc, zerolog.New(fx.logs))
	if err != nil {
		fx.t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		fx.t.Fatal(err)
	}
	fx.t.Cleanup(func() { srv.Close() })
	return "http://" + srv.Addr().String()
}

// send makes a request with the given headers ("Host" sets the Host) and
// returns the status, body and headers of the answer, redirects not followed.
func send(t *testing.T, method, url, body string, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

// TestWebPagesCannotDriveTheAPI: with the default settings (loopback, no
// token), a page of another site can neither change cameras (a cross-site
// form or fetch) nor read them through DNS rebinding; camgate's own
// dashboard and programs keep working.
func TestWebPagesCannotDriveTheAPI(t *testing.T) {
	fx := newFixture(t)
	base := fx.serve(Config{})
	host := strings.TrimPrefix(base, "http://")
	_, port, _ := strings.Cut(host, ":")
	before, _ := os.ReadFile(fx.path)
	evil := `{"name": "evil", "url": "rtsp://127.0.0.1:1/x"}`

	type h = map[string]string
	for _, tc := range []struct {
		what, method, path, body string
		hdr                      h
		code                     int
		mention                  string
	}{
		{"cross-site text/plain form POST", "POST", "/v1/cameras", evil, h{"Content-Type": "text/plain", "Origin": "http://evil.example"}, 403, "origin"},
		{"cross-site POST, Sec-Fetch-Site only", "POST", "/v1/cameras", evil, h{"Content-Type": "text/plain", "Sec-Fetch-Site": "cross-site"}, 403, "origin"},
		{"cross-site JSON POST", "POST", "/v1/cameras", evil, h{"Content-Type": "application/json", "Origin": "http://evil.example"}, 403, "origin"},
		{"POST from an opaque origin", "POST", "/v1/cameras", evil, h{"Content-Type": "application/json", "Origin": "null"}, 403, "origin"},
		{"POST from another port of this host", "POST", "/v1/cameras", evil, h{"Content-Type": "application/json", "Origin": "http://127.0.0.1:1"}, 403, "origin"},
		{"same-site PUT", "PUT", "/v1/cameras/cam0", `{"url": "rtsp://127.0.0.1:1/x"}`, h{"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"}, 403, "origin"},
		{"cross-site DELETE", "DELETE", "/v1/cameras/cam0", "", h{"Origin": "http://evil.example"}, 403, "origin"},
		{"text/plain POST without Origin", "POST", "/v1/cameras", evil, h{"Content-Type": "text/plain"}, 415, "application/json"},
		{"form POST without Origin", "POST", "/v1/cameras", "name=evil", h{"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"},
		{"POST without Content-Type", "POST", "/v1/cameras", evil, h{}, 415, "application/json"},
		{"rebinding read", "GET", "/v1/cameras", "", h{"Host": "evil.example:" + port}, 421, "api.hosts"},
		{"rebinding snapshot", "GET", "/v1/cameras/cam0/snapshot.jpg", "", h{"Host": "evil.example:" + port}, 421, "api.hosts"},
		{"rebinding dashboard", "GET", "/", "", h{"Host": "evil.example"}, 421, "api.hosts"},
		{"rebinding write, same-origin for the browser", "POST", "/v1/cameras", evil, h{"Host": "evil.example:" + port, "Origin": "http://evil.example:" + port, "Content-Type": "application/json"}, 421, "api.hosts"},
		{"a name that only looks local", "GET", "/v1/cameras", "", h{"Host": "127.0.0.1.nip.io:" + port}, 421, "api.hosts"},
		{"cross-site read", "GET", "/v1/cameras", "", h{"Sec-Fetch-Site": "cross-site"}, 403, "another site"},
		{"cross-site snapshot", "GET", "/v1/cameras/cam0/snapshot.jpg", "", h{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image"}, 403, "another site"},
		{"cross-site metrics", "GET", "/metrics", "", h{"Sec-Fetch-Site": "cross-site"}, 403, "another site"},
		{"cross-site fetch of the dashboard", "GET", "/", "", h{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}, 403, "another site"},

		{"a program's read", "GET", "/v1/cameras", "", h{}, 200, "cam0"},
		{"localhost", "GET", "/v1/cameras", "", h{"Host": "localhost:" + port}, 200, "cam0"},
		{"LOCALHOST.", "GET", "/v1/cameras", "", h{"Host": "LOCALHOST.:" + port}, 200, "cam0"},
		{"IPv6 loopback", "GET", "/v1/cameras", "", h{"Host": "[::1]:" + port}, 200, "cam0"},
		{"the dashboard's read", "GET", "/v1/cameras", "", h{"Sec-Fetch-Site": "same-origin"}, 200, "cam0"},
		{"a link to the dashboard from another site", "GET", "/", "", h{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}, 200, "<html"},
		{"health from anywhere", "GET", "/healthz", "", h{"Sec-Fetch-Site": "cross-site"}, 200, ""},
	} {
		code, body, hdr := send(t, tc.method, base+tc.path, tc.body, tc.hdr)
		if code != tc.code || !strings.Contains(strings.ToLower(body), strings.ToLower(tc.mention)) {
			t.Errorf("%s: %d %.300s, want %d mentioning %q", tc.what, code, body, tc.code, tc.mention)
		}
		if hdr.Get("Referrer-Policy") != "no-referrer" || hdr.Get("Cross-Origin-Resource-Policy") != "same-origin" {
			t.Errorf("%s: headers %v, want Referrer-Policy: no-referrer and Cross-Origin-Resource-Policy: same-origin", tc.what, hdr)
		}
	}
	if fx.gw.Camera("evil") != nil || fx.gw.Camera("cam0") == nil {
		t.Error("a refused request changed the cameras")
	}
	if after, _ := os.ReadFile(fx.path); string(after) != string(before) {
		t.Errorf("a refused request changed the file:\n%s", after)
	}

	// The API's own origin (the dashboard, were it to write) may change
	// cameras, in JSON.
	ok := `{"name": "mine", "url": "` + fx.fakes[0].URL() + `"}`
	if code, body, _ := send(t, "POST", base+"/v1/cameras", ok, h{"Content-Type": "application/json; charset=utf-8", "Origin": base, "Sec-Fetch-Site": "same-origin"}); code != 201 {
		t.Errorf("same-origin JSON POST: %d %s", code, body)
	}
	if code, body, _ := send(t, "DELETE", base+"/v1/cameras/mine", "", h{"Origin": base}); code != 204 {
		t.Errorf("same-origin DELETE: %d %s", code, body)
	}

	// Names the operator lists are answered to, in any case, with or
	// without the trailing dot; others are not.
	named := fx.serve(Config{Hosts: []string{"nvr.lan"}})
	_, port, _ = strings.Cut(strings.TrimPrefix(named, "http://"), ":")
	for hostHdr, want := range map[string]int{"nvr.lan:" + port: 200, "NVR.LAN.:" + port: 200, "nvr.lan": 200, "other.lan:" + port: 421, "lan:" + port: 421} {
		if code, body, _ := send(t, "GET", named+"/v1/version", "", h{"Host": hostHdr}); code != want {
			t.Errorf("api.hosts [nvr.lan], Host %s: %d %s, want %d", hostHdr, code, body, want)
		}
	}
}

// TestReadToken: the read token reads everything and changes nothing; the
// dashboard's token leaves its URL at once.
func TestReadToken(t *testing.T) {
	fx := newFixture(t)
	const readTok = "r3ad-only"
	base := fx.serve(Config{Token: token, ReadToken: readTok})
	type h = map[string]string
	read := h{"Authorization": "Bearer " + readTok}
	for _, path := range []string{"/v1/cameras", "/v1/cameras/cam0", "/v1/grids", "/v1/cameras/cam0/snapshot.jpg", "/metrics", "/", "/v1/version"} {
		if code, body, _ := send(t, "GET", base+path, "", read); code != 200 {
			t.Errorf("read token, GET %s: %d %.200s", path, code, body)
		}
	}
	before, _ := os.ReadFile(fx.path)
	jsonRead := h{"Authorization": "Bearer " + readTok, "Content-Type": "application/json"}
	for _, tc := range [][3]string{
		{"POST", "/v1/cameras", `{"name": "x", "url": "` + fx.fakes[0].URL() + `"}`},
		{"PUT", "/v1/cameras/cam0", `{"url": "` + fx.fakes[1].URL() + `"}`},
		{"DELETE", "/v1/cameras/cam0", ""},
		{"POST", "/v1/grids", `{"name": "g", "cameras": ["cam0"]}`},
	} {
		if code, body, _ := send(t, tc[0], base+tc[1], tc[2], jsonRead); code != 403 || !strings.Contains(body, "api.token") {
			t.Errorf("read token, %s %s: %d %s, want 403 naming api.token", tc[0], tc[1], code, body)
		}
	}
	if after, _ := os.ReadFile(fx.path); string(after) != string(before) || fx.gw.Camera("x") != nil || fx.gw.Camera("cam0") == nil {
		t.Error("the read token changed the configuration")
	}
	if code, body, _ := send(t, "DELETE", base+"/v1/cameras/ghost", "", h{"Authorization": "Bearer " + token}); code != 404 {
		t.Errorf("admin token, DELETE ghost: %d %s, want 404 (past the token)", code, body)
	}
	for _, wrong := range []string{"", "r3ad", readTok + "x", token[:len(token)-1], "Bearer", strings.ToUpper(readTok)} {
		if code, _, _ := send(t, "GET", base+"/v1/cameras", "", h{"Authorization": "Bearer " + wrong}); code != 401 {
			t.Errorf("token %q: %d, want 401", wrong, code)
		}
	}
	if code, _, _ := send(t, "GET", base+"/v1/cameras?token="+readTok, "", nil); code != 401 {
		t.Errorf("token in an API URL: %d, want 401 (only the dashboard's page takes one)", code)
	}

	// The dashboard: ?token= sets the cookie and is redirected away.
	code, _, hdr := send(t, "GET", base+"/?token="+readTok+"&view=grid", "", nil)
	cookie := hdr.Get("Set-Cookie")
	if code != http.StatusSeeOther || hdr.Get("Location") != "/?view=grid" || !strings.Contains(cookie, tokenCookie+"="+readTok) ||
		!strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") {
		t.Errorf("dashboard with ?token=: %d, Location %q, Set-Cookie %q; want 303 to /?view=grid with an HttpOnly cookie", code, hdr.Get("Location"), cookie)
	}
	withCookie := h{"Cookie": tokenCookie + "=" + readTok, "Content-Type": "application/json"}
	if code, _, _ := send(t, "GET", base+"/v1/cameras", "", withCookie); code != 200 {
		t.Errorf("the cookie does not read: %d", code)
	}
	if code, _, _ := send(t, "DELETE", base+"/v1/cameras/cam0", "", withCookie); code != 403 {
		t.Errorf("the read token's cookie deletes: %d", code)
	}
	if code, _, hdr := send(t, "GET", base+"/?token=wrong", "", nil); code != 401 || hdr.Get("Set-Cookie") != "" {
		t.Errorf("dashboard with a wrong token: %d, Set-Cookie %q; want 401 and no cookie", code, hdr.Get("Set-Cookie"))
	}
}

func TestTokenRoles(t *testing.T) {
	both := newTokens("admin-token", "read-token")
	for got, want := range map[string]role{
		"admin-token": roleAdmin, "read-token": roleRead, "": roleNone, "admin": roleNone, "admin-token ": roleNone,
		"read-token\x00": roleNone, "admin-tokenadmin-token": roleNone,
	} {
		if r := both.role(got); r != want {
			t.Errorf("role(%q) = %d, want %d", got, r, want)
		}
	}
	adminOnly := newTokens("a", "")
	if adminOnly.role("") != roleNone || adminOnly.role("a") != roleAdmin || !adminOnly.required() {
		t.Error("admin-only tokens")
	}
	if none := newTokens("", ""); none.required() || none.role("") != roleNone {
		t.Error("no tokens: nothing required, nothing matches")
	}
	if _, err := New(Config{Address: "127.0.0.1:0", ReadToken: "r"}, nil, nil, zerolog.Nop()); err == nil {
		t.Error("a read token without an admin token is accepted")
	}
}
