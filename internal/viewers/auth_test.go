package viewers

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func mustHash(t testing.TB, pw string) Password {
	t.Helper()
	s, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseHash(s)
	if err != nil {
		t.Fatalf("ParseHash(%q): %v", s, err)
	}
	return p
}

func TestPasswordHashes(t *testing.T) {
	a := mustHash(t, "correct horse")
	if !a.Match("correct horse") || a.Match("correct hors") || a.Match("") || a.Kind() != "argon2id" || !a.Hashed() {
		t.Error("argon2id: the hash does not check its password")
	}
	b, err := bcrypt.GenerateFromPassword([]byte("battery staple"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		s := prefix + string(b[4:])
		p, err := ParseHash(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if !p.Match("battery staple") || p.Match("battery stapl") || p.Kind() != "bcrypt" {
			t.Errorf("%s: the hash does not check its password", prefix)
		}
	}
	// A vector of the reference implementation's tests (phc-winner-argon2,
	// src/test.c): argon2id, t=2, m=2^16, p=1, "password", "somesalt".
	ref := "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	p, err := ParseHash(ref)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Match("password") || p.Match("Password") {
		t.Error("the reference argon2id vector does not match")
	}
	plain := PlainPassword("x")
	if !plain.Match("x") || plain.Match("y") || plain.Hashed() || (Password{}).Match("") {
		t.Error("plain passwords")
	}
}

func TestParseHashRefuses(t *testing.T) {
	for _, s := range []string{
		"", "secret", "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=16$m=65536,t=2,p=4$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=4,p=4$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=4194304,t=2,p=4$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", // 4 GiB
		"$argon2id$v=19$m=65536,t=1000,p=4$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=0$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ=$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", // padded salt
		"$argon2id$v=19$m=65536,t=2,p=4$c2$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$CTFh",
		"$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc$",
		"$2b$31$" + strings.Repeat("a", 53), // cost 31: days per login
		"$2b$10$short",
	} {
		if _, err := ParseHash(s); err == nil {
			t.Errorf("ParseHash(%q) accepted it", s)
		}
	}
}

func TestMatchPath(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{
		{"front-door", "front-door/main", true}, {"front-door", "front-door/sub", true},
		{"front-door", "front-door", true}, {"front-door", "front-doorbell/main", false},
		{"front-door", "grid/front-door", false}, {"front-door/*", "front-door/sub", true},
		{"front-door/*", "front-door", false}, {"*/sub", "garage/sub", true}, {"*/sub", "garage/main", false},
		{"grid/all", "grid/all", true}, {"grid/all", "grid/allx", false}, {"x", "", false},
	} {
		if got := MatchPath(c.pattern, c.path); got != c.want {
			t.Errorf("MatchPath(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
	for _, bad := range []string{"", "/cam", "cam/", "cam[1]", "ca?", `a\b`} {
		if CheckPattern(bad) == nil {
			t.Errorf("CheckPattern(%q) accepted it", bad)
		}
	}
}

var (
	local  = netip.MustParseAddr("127.0.0.1")
	remote = netip.MustParseAddr("192.0.2.7")
)

func TestPermits(t *testing.T) {
	alice := User{Name: "alice", Password: PlainPassword("a"), Read: []string{"cam1"}}
	ops := User{Name: "ops", Password: PlainPassword("o"), Admin: true}
	all := User{Name: "all", Password: PlainPassword("r"), ReadAll: true}
	p := Policy{Users: []User{alice, ops, all}}
	for _, c := range []struct {
		name string
		id   Identity
		act  Action
		path string
		want bool
	}{
		{"alice reads cam1", Identity{User: &alice}, ActionRead, "cam1/sub", true},
		{"alice not cam2", Identity{User: &alice}, ActionRead, "cam2/sub", false},
		{"alice not admin", Identity{User: &alice}, ActionAdmin, "", false},
		{"ops admin", Identity{User: &ops}, ActionAdmin, "", true},
		{"ops reads", Identity{User: &ops}, ActionRead, "cam2/main", true},
		{"all reads", Identity{User: &all}, ActionRead, "grid/x", true},
		{"all not admin", Identity{User: &all}, ActionAdmin, "", false},
		{"anonymous local, users configured", Identity{Addr: local}, ActionRead, "cam1/sub", false},
		{"dashboard", Identity{internal: true}, ActionRead, "cam2/sub", true},
		{"dashboard not admin", Identity{internal: true}, ActionAdmin, "", false},
	} {
		if got := p.Permits(c.id, c.act, c.path); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	open := Policy{}
	if !open.Permits(Identity{Addr: local}, ActionRead, "a/sub") || !open.Permits(Identity{Addr: netip.MustParseAddr("::ffff:127.0.0.1")}, ActionRead, "a/sub") ||
		!open.Permits(Identity{Addr: netip.MustParseAddr("::1")}, ActionRead, "a/sub") {
		t.Error("no users: a local anonymous reader is refused")
	}
	if open.Permits(Identity{Addr: remote}, ActionRead, "a/sub") || open.Permits(Identity{}, ActionRead, "a/sub") {
		t.Error("no users: a remote anonymous reader is allowed")
	}
	if open.Permits(Identity{Addr: local}, ActionAdmin, "") {
		t.Error("an anonymous reader may administer")
	}
	if (Policy{Anonymous: AnonymousNone}).Permits(Identity{Addr: local}, ActionRead, "a/sub") {
		t.Error("anonymous: none lets a local reader in")
	}
	if !(Policy{Anonymous: AnonymousRead}).Permits(Identity{Addr: remote}, ActionRead, "a/sub") {
		t.Error("anonymous: read refuses a remote reader")
	}
	if !(Policy{Users: []User{all}, Anonymous: AnonymousLoopback}).Permits(Identity{Addr: local}, ActionRead, "a/sub") {
		t.Error("anonymous: loopback with users refuses a local reader")
	}
}

func TestValidate(t *testing.T) {
	for name, p := range map[string]Policy{
		"password without name": {Users: []User{{Password: PlainPassword("x"), ReadAll: true}}},
		"nothing to log in":     {Users: []User{{Name: "a", ReadAll: true}}},
		"twice":                 {Users: []User{ReaderOfAll("a", "x", ""), ReaderOfAll("a", "y", "")}},
		"same token":            {Users: []User{ReaderOfAll("a", "", "tttttttttttttttt"), ReaderOfAll("b", "", "tttttttttttttttt")}},
		"reads nothing":         {Users: []User{{Name: "a", Password: PlainPassword("x")}}},
		"bad pattern":           {Users: []User{{Name: "a", Password: PlainPassword("x"), Read: []string{"/a"}}}},
		"colon":                 {Users: []User{ReaderOfAll("a:b", "x", "")}},
		"anonymous word":        {Anonymous: "yes"},
		"throttle":              {Throttle: ThrottleConfig{Failures: -1}},
	} {
		if p.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := (Policy{Users: []User{ReaderOfAll("a", "x", "t"), ReaderOfAll("", "", "u")}}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestThrottle(t *testing.T) {
	a := NewAuth(Policy{Users: []User{ReaderOfAll("viewer", "secret", "")}, Throttle: ThrottleConfig{Failures: 3, Window: time.Minute, Block: 5 * time.Minute}})
	now := time.Unix(1e9, 0)
	a.throttle.now = func() time.Time { return now }
	var blocked []netip.Addr
	a.OnBlock(func(addr netip.Addr, _ time.Duration) { blocked = append(blocked, addr) })
	other := netip.MustParseAddr("192.0.2.8")
	for i := range 2 {
		if _, r := a.Password(remote, "viewer", fmt.Sprint("wrong", i)); r != Failed {
			t.Fatalf("failure %d: %v", i, r)
		}
	}
	if _, r := a.Password(remote, "viewer", "secret"); r != Authenticated {
		t.Fatalf("after 2 failures, the right password: %v", r)
	}
	if _, r := a.Password(remote, "nobody", "x"); r != Throttled {
		t.Fatalf("third failure: %v, want Throttled", r)
	}
	if _, r := a.Password(remote, "viewer", "secret"); r != Throttled {
		t.Fatalf("blocked address, right password: %v", r)
	}
	if _, r := a.Token(remote, "x"); r != Throttled {
		t.Fatalf("blocked address, a token: %v", r)
	}
	if _, r := a.Password(other, "viewer", "secret"); r != Authenticated {
		t.Fatalf("another address: %v", r)
	}
	if len(blocked) != 1 || blocked[0] != remote {
		t.Fatalf("OnBlock calls: %v, want one for %v", blocked, remote)
	}
	st := a.Stats()
	if st.Failures != 3 || st.Throttled != 2 || st.Blocks != 1 {
		t.Fatalf("stats %+v", st)
	}
	now = now.Add(5*time.Minute + time.Second)
	if _, r := a.Password(remote, "viewer", "secret"); r != Authenticated {
		t.Fatalf("after the block: %v", r)
	}
	// Failures spread out over more than the window do not add up.
	for i := range 10 {
		now = now.Add(61 * time.Second)
		if _, r := a.Password(other, "viewer", "no"); r != Failed {
			t.Fatalf("slow failure %d: %v", i, r)
		}
	}
	// IPv6 addresses count per /64.
	for i := range 3 {
		_, r := a.Password(netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", i+1)), "viewer", "no")
		if want := map[bool]Result{true: Throttled, false: Failed}[i == 2]; r != want {
			t.Fatalf("IPv6 /64 failure %d: %v, want %v", i, r, want)
		}
	}
	if _, r := a.Password(netip.MustParseAddr("2001:db8:0:1::1"), "viewer", "secret"); r != Authenticated {
		t.Fatalf("another /64: %v", r)
	}
}

// TestThrottleBounded: an attacker with many addresses cannot grow the
// throttle's memory.
func TestThrottleBounded(t *testing.T) {
	a := NewAuth(Policy{Users: []User{ReaderOfAll("viewer", "secret", "")}})
	for i := range 3 * maxThrottled {
		a.Password(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), "viewer", "x")
	}
	if n := a.Stats().Addresses; n != maxThrottled {
		t.Fatalf("%d addresses remembered, want the bound %d", n, maxThrottled)
	}
}

// TestVerifyCache: a hashed password is checked once per user and password,
// then found in the cache; failures are not cached; the cache is bounded.
func TestVerifyCache(t *testing.T) {
	a := NewAuth(Policy{Users: []User{{Name: "alice", Password: mustHash(t, "pw"), ReadAll: true}}})
	if _, r := a.Password(local, "alice", "nope"); r != Failed || a.cache.len() != 0 {
		t.Fatalf("failure: %v, cache %d", r, a.cache.len())
	}
	start := time.Now()
	if _, r := a.Password(local, "alice", "pw"); r != Authenticated {
		t.Fatal(r)
	}
	first := time.Since(start)
	start = time.Now()
	for range 100 {
		if _, r := a.Password(local, "alice", "pw"); r != Authenticated {
			t.Fatal(r)
		}
	}
	cached := time.Since(start) / 100
	t.Logf("argon2id check %v, cached %v", first, cached)
	if a.cache.len() != 1 {
		t.Fatalf("cache holds %d", a.cache.len())
	}
	c := newVerifyCache()
	for i := range 3 * verifyCacheSize {
		c.add(c.key("u", fmt.Sprint(i)))
	}
	if c.len() != verifyCacheSize || !c.has(c.key("u", fmt.Sprint(3*verifyCacheSize-1))) || c.has(c.key("u", "0")) {
		t.Fatalf("cache: %d entries", c.len())
	}
	if c.key("a\x00", "b") == c.key("a", "\x00b") {
		t.Fatal("two pairs share a key")
	}
}

func TestAllowRead(t *testing.T) {
	alice := User{Name: "alice", Password: PlainPassword("secret"), Token: "alice-token-0123456789", Read: []string{"cam1"}}
	a := NewAuth(Policy{Users: []User{alice}, Anonymous: AnonymousLoopback})
	req := func(target, from string, set func(*http.Request)) *http.Request {
		r := httptest.NewRequest("GET", target, nil)
		r.RemoteAddr = from
		if set != nil {
			set(r)
		}
		return r
	}
	basic := func(u, p string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth(u, p) } }
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	const far, near = "192.0.2.7:5000", "127.0.0.1:5000"
	for _, c := range []struct {
		name string
		r    *http.Request
		path string
		code int
	}{
		{"anonymous local", req("/cam2/sub/", near, nil), "cam2/sub", 200},
		{"anonymous local, X-Forwarded-For ignored", req("/cam2/sub/", near, func(r *http.Request) { r.Header.Set("X-Forwarded-For", "192.0.2.9") }), "cam2/sub", 200},
		{"anonymous remote", req("/cam1/sub/", far, nil), "cam1/sub", 401},
		{"anonymous remote claiming to be local", req("/cam1/sub/", far, func(r *http.Request) { r.Header.Set("X-Forwarded-For", "127.0.0.1") }), "cam1/sub", 401},
		{"basic", req("/cam1/sub/", far, basic("alice", "secret")), "cam1/sub", 200},
		{"basic, other camera", req("/cam2/sub/", far, basic("alice", "secret")), "cam2/sub", 403},
		{"basic wrong", req("/cam1/sub/", far, basic("alice", "x")), "cam1/sub", 401},
		{"query", req("/cam1/sub/?user=alice&pass=secret", far, nil), "cam1/sub", 200},
		{"bearer", req("/cam1/sub/", far, bearer("alice-token-0123456789")), "cam1/sub", 200},
		{"query token", req("/cam1/sub/index.m3u8?token=alice-token-0123456789", far, nil), "cam1/sub", 200},
		{"token as basic password", req("/cam1/sub/", far, basic("anyone", "alice-token-0123456789")), "cam1/sub", 200},
		{"dashboard token", req("/cam2/sub/?token="+a.DashboardCredentials().Token, far, nil), "cam2/sub", 200},
		{"wrong token", req("/cam1/sub/?token=nope", far, nil), "cam1/sub", 401},
	} {
		w := httptest.NewRecorder()
		ok := a.AllowRead(w, c.r, c.path, "camgate")
		code := w.Code
		if ok {
			code = 200
		}
		if code != c.code {
			t.Errorf("%s: %d, want %d (%s)", c.name, code, c.code, w.Body.String())
		}
		if code == 401 && !strings.Contains(strings.Join(w.Header().Values("WWW-Authenticate"), ","), `Basic realm="camgate"`) {
			t.Errorf("%s: 401 without a Basic challenge: %v", c.name, w.Header())
		}
	}
	// The throttle answers 429 with Retry-After.
	for range DefaultThrottleFailures {
		a.AllowRead(httptest.NewRecorder(), req("/cam1/sub/", "192.0.2.99:1", basic("alice", "x")), "cam1/sub", "camgate")
	}
	w := httptest.NewRecorder()
	if a.AllowRead(w, req("/cam1/sub/", "192.0.2.99:2", basic("alice", "secret")), "cam1/sub", "camgate") || w.Code != 429 || w.Header().Get("Retry-After") != "300" {
		t.Fatalf("throttled: %d %v", w.Code, w.Header())
	}
}

// FuzzParseHash: no string crashes the hash parser, and an accepted hash's
// parameters stay within the bounds that keep a check cheap.
func FuzzParseHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8")
	f.Add("$2b$04$abcdefghijklmnopqrstuu5Z6WlF5ZqTsWc0h1lGfeTlY4jyk4RVq")
	f.Add("$2y$10$")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseHash(s)
		if err != nil {
			return
		}
		if !p.Hashed() || (p.kind == "argon2id" && (p.memory > maxArgonMemoryKiB || p.time > maxArgonTime || p.threads > maxArgonThreads || p.threads == 0)) {
			t.Fatalf("accepted %q with parameters %+v", s, p)
		}
		if p.kind == "argon2id" && p.memory <= 1024 && p.time <= 2 {
			p.Match("x") // cheap enough to run here: must not panic
		}
	})
}

// An unknown user name is refused after as much work as a known name with a
// wrong password: the time of a refusal does not say which names exist.
// Each path is timed as the fastest of several tries, which a busy machine
// can only slow, and an argon2id check (tens of milliseconds) is compared
// with a map lookup (nanoseconds) without it: a quarter is a wide margin.
func TestUnknownNameCostsAHash(t *testing.T) {
	a := NewAuth(Policy{Users: []User{{Name: "alice", Password: mustHash(t, "right"), ReadAll: true}}})
	addr := netip.MustParseAddr("192.0.2.1")
	fastest := func(name string) time.Duration {
		best := time.Hour
		for range 4 {
			start := time.Now()
			if _, res := a.Password(addr, name, "wrong"); res == Authenticated {
				t.Fatalf("%s with a wrong password was let in", name)
			}
			best = min(best, time.Since(start))
		}
		return best
	}
	known, unknown := fastest("alice"), fastest("mallory")
	t.Logf("refusal of a known name %v, of an unknown one %v", known, unknown)
	if unknown < known/4 {
		t.Errorf("an unknown name is refused in %v, a known one in %v: the time tells names apart", unknown, known)
	}
	if _, res := a.Password(addr, "mallory", "right"); res == Authenticated {
		t.Error("an unknown name with the decoy's password was let in")
	}
}
