package viewers

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCredentials(t *testing.T) {
	both := Credentials{User: "viewer", Pass: "secret", Token: "t0ken"}
	req := func(target string, set func(*http.Request)) *http.Request {
		r := httptest.NewRequest("GET", target, nil)
		if set != nil {
			set(r)
		}
		return r
	}
	cases := []struct {
		name string
		c    Credentials
		r    *http.Request
		want bool
	}{
		{"open", Credentials{}, req("/a/main/", nil), true},
		{"nothing given", both, req("/a/main/", nil), false},
		{"basic", both, req("/a/main/", func(r *http.Request) { r.SetBasicAuth("viewer", "secret") }), true},
		{"basic wrong password", both, req("/a/main/", func(r *http.Request) { r.SetBasicAuth("viewer", "x") }), false},
		{"basic wrong user", both, req("/a/main/", func(r *http.Request) { r.SetBasicAuth("admin", "secret") }), false},
		{"query user pass", both, req("/a/main/?user=viewer&pass=secret", nil), true},
		{"query wrong pass", both, req("/a/main/?user=viewer&pass=secrets", nil), false},
		{"bearer", both, req("/a/main/", func(r *http.Request) { r.Header.Set("Authorization", "Bearer t0ken") }), true},
		{"bearer wrong", both, req("/a/main/", func(r *http.Request) { r.Header.Set("Authorization", "Bearer t0ke") }), false},
		{"query token", both, req("/a/main/index.m3u8?token=t0ken", nil), true},
		{"empty query token", Credentials{Token: "t0ken"}, req("/a/main/?token=", nil), false},
		{"token only, basic refused", Credentials{Token: "t0ken"}, req("/", func(r *http.Request) { r.SetBasicAuth("", "t0ken") }), false},
		{"user only, token refused", Credentials{User: "u", Pass: "p"}, req("/?token=p", nil), false},
	}
	for _, tc := range cases {
		if got := tc.c.Allow(tc.r); got != tc.want {
			t.Errorf("%s: Allow = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRefuseChallenges(t *testing.T) {
	w := httptest.NewRecorder()
	Credentials{User: "u", Pass: "p"}.Refuse(w, "camgate")
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Basic realm="camgate", charset="UTF-8"` {
		t.Fatalf("got %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	w = httptest.NewRecorder()
	Credentials{Token: "t"}.Refuse(w, "camgate")
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Bearer realm="camgate"` {
		t.Fatalf("got %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestCORS(t *testing.T) {
	pre := httptest.NewRequest("OPTIONS", "/cam/sub/whep", nil)
	pre.Header.Set("Origin", "https://app.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")

	w := httptest.NewRecorder()
	if !(CORS{Origins: DefaultOrigins}).Apply(w, pre, "OPTIONS, POST", "Location") {
		t.Fatal("a preflight was not answered")
	}
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "*" || w.Header().Get("Access-Control-Allow-Methods") != "OPTIONS, POST" {
		t.Fatalf("preflight: %d %v", w.Code, w.Header())
	}

	w = httptest.NewRecorder()
	(CORS{Origins: []string{"https://other.example"}}).Apply(w, pre, "OPTIONS, POST", "")
	if got := w.Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("an origin not in the list was allowed: %q", got)
	}

	get := httptest.NewRequest("GET", "/cam/sub/index.m3u8", nil)
	get.Header.Set("Origin", "https://app.example")
	w = httptest.NewRecorder()
	if (CORS{Origins: []string{"https://app.example"}}).Apply(w, get, "GET", "") {
		t.Fatal("a GET was taken for a preflight")
	}
	if got := w.Header().Get("Access-Control-Allow-Origin"); got != "https://app.example" {
		t.Fatalf("listed origin: got %q", got)
	}
}
