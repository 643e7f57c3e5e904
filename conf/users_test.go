package conf

import (
	"strings"
	"testing"

	"github.com/camgate/camgate/internal/viewers"
	"github.com/camgate/camgate/rtsp"
)

const testArgon = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"

func TestUsers(t *testing.T) {
	f, err := Parse([]byte(`
users:
  - {name: alice, password_hash: "` + testArgon + `", read: [front-door, "garage/*"]}
  - {name: ops, password: plain, admin: true}
  - {name: kiosk, token: 0123456789abcdef0123, read: all}
anonymous: none
login_throttle: {failures: 5, window: 30s, block: 2m}
rtsp: {auth_methods: [basic]}
`))
	if err != nil {
		t.Fatal(err)
	}
	p := f.RTSP.Readers
	if len(p.Users) != 3 || p.Anonymous != viewers.AnonymousNone || p.Throttle.Failures != 5 || p.Throttle.Window.Seconds() != 30 || p.Throttle.Block.Minutes() != 2 {
		t.Fatalf("policy %+v", p)
	}
	alice := viewers.Identity{User: &p.Users[0]}
	if !p.Permits(alice, viewers.ActionRead, "front-door/sub") || !p.Permits(alice, viewers.ActionRead, "garage/main") || p.Permits(alice, viewers.ActionRead, "back/sub") {
		t.Error("alice's permissions")
	}
	if !p.Users[0].Password.Match("password") || p.Users[0].Password.Kind() != "argon2id" || !p.Users[1].Admin || !p.Users[2].ReadAll {
		t.Errorf("users %+v", p.Users)
	}
	out, err := Effective(f)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "plain\n") || strings.Contains(string(out), "c29tZXNhbHQ") || strings.Contains(string(out), "0123456789abcdef") {
		t.Errorf("the effective configuration shows a secret:\n%s", out)
	}
	if !strings.Contains(string(out), "argon2id xxxxx") {
		t.Errorf("the effective configuration does not say the password is a hash:\n%s", out)
	}
}

func TestUsersRefused(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{`users: [{name: a, password_hash: "` + testArgon + `", read: all}]` + "\nrtsp: {auth_methods: [digest]}", "digest cannot check user \"a\"'s password, which is a hash"},
		{`users: [{name: a, password_hash: "` + testArgon + `", read: all}]` + "\nrtsp: {auth_methods: [basic, digest]}", "give that user a plain password, or auth_methods: [basic]"},
		{`users: [{name: a, password_hash: "secret", read: all}]`, "not a password hash"},
		{`users: [{name: a, password: x, password_hash: "` + testArgon + `", read: all}]`, "not both"},
		{`users: [{name: a, password: x}]`, "may read nothing"},
		{`users: [{name: a, password: x, read: everything}]`, "say all, or list paths"},
		{`users: [{name: a, password: x, read: ["/cam"]}]`, "without a leading or trailing slash"},
		{`users: [{password: x, read: all}]`, "a password without a user name"},
		{`users: [{name: a, read: all}]`, "no password and no token"},
		{`users: [{name: a, pasword: x, read: all}]`, "pasword"},
		{"rtsp: {password: x}", "a password without a user would guard nothing"},
		{"rtsp: {auth_methods: [ntlm]}", `"ntlm": give basic, digest or both`},
		{"anonymous: yes", "say none, loopback or read"},
		{"login_throttle: {window: soon}", "login_throttle.window"},
	} {
		_, err := Parse([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.yaml, err, c.want)
		}
	}
	// Hashed passwords alone: RTSP takes Basic only (a player offered Digest
	// would use it and fail).
	f, err := Parse([]byte(`users: [{name: a, password_hash: "` + testArgon + `", read: all}]`))
	if err != nil {
		t.Fatal(err)
	}
	if m := f.RTSP.EffectiveAuthMethods(); len(m) != 1 || m[0] != rtsp.AuthBasic {
		t.Errorf("methods with a hash: %v", m)
	}
}

func TestWarnings(t *testing.T) {
	warns := func(yaml string) string {
		t.Helper()
		f, err := Parse([]byte(yaml))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(Warnings(f), "\n")
	}
	for _, c := range []struct{ yaml, want, not string }{
		{"", "", ""},
		{"anonymous: read", "anonymous: read lets anyone who reaches", "no users"},
		{"rtsp: {user: u, password: p}", "sends the password in clear to :8554: set rtsp.auth_methods: [digest]", ""},
		{"rtsp: {user: u, password: p, auth_methods: [digest]}", "", "Basic"},
		{"rtsp: {user: u, password: p, listen: \"127.0.0.1:8554\"}", "", "Basic"},
		{`users: [{name: a, password_hash: "` + testArgon + `", read: all}]`, "Digest cannot check hashed passwords", ""},
		{"rtsp: {token: short}", "the token is 5 characters", ""},
	} {
		got := warns(c.yaml)
		if c.want != "" && !strings.Contains(got, c.want) || c.want == "" && c.not == "" && got != "" || c.not != "" && strings.Contains(got, c.not) {
			t.Errorf("%q: warnings\n%s\nwant %q, not %q", c.yaml, got, c.want, c.not)
		}
	}
}

func TestNotices(t *testing.T) {
	for _, c := range []struct {
		yaml string
		want bool
	}{
		{"", true},
		{"anonymous: read", false},
		{"rtsp: {user: u, password: p}", false},
		{"rtsp: {listen: \"127.0.0.1:8554\"}\nwebrtc: {listen: \"127.0.0.1:8889\"}\nhls: {listen: off}", false},
	} {
		f, err := Parse([]byte(c.yaml))
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(Notices(f), "\n")
		if strings.Contains(got, "no users are configured: readers from other machines") != c.want {
			t.Errorf("%q: notices %q, want the no-users notice: %v", c.yaml, got, c.want)
		}
	}
}

// FuzzUsers: no users section, however broken, crashes the parser; one
// that parses gives a policy that validates.
func FuzzUsers(f *testing.F) {
	f.Add([]byte(`users: [{name: alice, password_hash: "` + testArgon + `", read: [front-door, "garage/*"]}]`))
	f.Add([]byte("users:\n  - {name: b, password_hash: \"$2b$04$abcdefghijklmnopqrstuu5Z6WlF5ZqTsWc0h1lGfeTlY4jyk4RVq\", read: all}\nrtsp: {auth_methods: [basic]}\n"))
	f.Add([]byte("users: [{name: k, token: 0123456789abcdef, read: [\"*/sub\"]}]\nanonymous: loopback\nlogin_throttle: {failures: 3, window: 1m}\n"))
	f.Add([]byte("rtsp: {user: u, password: p, token: t, auth_methods: [digest]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		if err := c.RTSP.Readers.Validate(); err != nil {
			t.Fatalf("parsed, but the policy is invalid: %v", err)
		}
		Warnings(c)
		for _, u := range c.RTSP.Readers.Users {
			for _, p := range u.Read {
				viewers.MatchPath(p, "front-door/sub")
			}
		}
	})
}
