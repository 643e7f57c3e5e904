package viewers

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"strings"
	"time"
)

// Policy says who may do what: the users and their permissions, what
// readers without credentials may do, and how failed logins are throttled.
// It is plain data (the configuration's); Auth applies it.
type Policy struct {
	Users     []User
	Anonymous Anonymous
	Throttle  ThrottleConfig
}

// User is someone who may log in: with a name and a password (RTSP, HTTP
// Basic, ?user=&pass=), or a token (HTTP Bearer or ?token=), or both.
type User struct {
	Name     string
	Password Password
	Token    string
	// Read lists the path patterns the user may read; ReadAll, every path.
	Read    []string
	ReadAll bool
	// Admin may administer camgate (and read every path).
	Admin bool
}

// ReaderOfAll is the user the rtsp section's user, password and token make:
// one reader of every path.
func ReaderOfAll(name, password, token string) User {
	return User{Name: name, Password: PlainPassword(password), Token: token, ReadAll: true}
}

// Anonymous says what readers who present no credentials may do.
type Anonymous string

const (
	// AnonymousDefault is AnonymousLoopback when no user is configured and
	// AnonymousNone once one is.
	AnonymousDefault Anonymous = ""
	// AnonymousNone: every reader proves who it is, local ones too.
	AnonymousNone Anonymous = "none"
	// AnonymousLoopback: readers on this machine (127.0.0.0/8, ::1) may read
	// every path; others prove who they are.
	AnonymousLoopback Anonymous = "loopback"
	// AnonymousRead: anyone, from anywhere, may read every path.
	AnonymousRead Anonymous = "read"
)

// EffectiveAnonymous resolves AnonymousDefault: loopback while no user is
// configured, none once one is.
func (p Policy) EffectiveAnonymous() Anonymous {
	if p.Anonymous != AnonymousDefault {
		return p.Anonymous
	}
	if len(p.Users) > 0 {
		return AnonymousNone
	}
	return AnonymousLoopback
}

// Action is what an identity wants to do to a path.
type Action int

const (
	// ActionRead is reading a path's stream (RTSP, WebRTC, HLS).
	ActionRead Action = iota
	// ActionAdmin is administering camgate (the API's writes).
	ActionAdmin
)

// Identity is who made a request, once authenticated: a user, or nobody
// (User nil) from an address.
type Identity struct {
	User *User // nil: anonymous
	// Addr is the client's address (the connection's, never a header's).
	Addr netip.Addr
	// internal marks camgate's own dashboard, which reads every path.
	internal bool
}

// Name is the user's name, "" when anonymous.
func (id Identity) Name() string {
	if id.User == nil {
		return ""
	}
	return id.User.Name
}

// Anonymous reports whether the identity presented no credentials.
func (id Identity) Anonymous() bool { return id.User == nil && !id.internal }

// Permits reports whether id may do act on path ("" for the whole of
// camgate). Administrators may do everything; readers read what their
// patterns match; anonymous readers what the policy's Anonymous says.
func (p Policy) Permits(id Identity, act Action, path string) bool {
	if id.internal {
		return act == ActionRead
	}
	if id.User == nil {
		if act != ActionRead {
			return false
		}
		switch p.EffectiveAnonymous() {
		case AnonymousRead:
			return true
		case AnonymousLoopback:
			return isLoopback(id.Addr)
		}
		return false
	}
	u := id.User
	if u.Admin {
		return true
	}
	if act != ActionRead {
		return false
	}
	if u.ReadAll {
		return true
	}
	for _, pat := range u.Read {
		if MatchPath(pat, path) {
			return true
		}
	}
	return false
}

// MatchPath reports whether a read pattern matches a stream path. A pattern
// without "*" names a path and every path below it ("front-door" matches
// front-door/main and front-door/sub; "grid/all" the grid "all"); with "*"
// it is a path.Match pattern in which "*" stays within one segment
// ("front-door/*", "*/sub").
func MatchPath(pattern, p string) bool {
	if p == "" {
		return false
	}
	if !strings.Contains(pattern, "*") {
		return p == pattern || strings.HasPrefix(p, pattern+"/")
	}
	ok, err := path.Match(pattern, p)
	return err == nil && ok
}

// CheckPattern validates a read pattern.
func CheckPattern(pattern string) error {
	switch {
	case pattern == "":
		return errors.New("an empty pattern")
	case strings.HasPrefix(pattern, "/") || strings.HasSuffix(pattern, "/"):
		return fmt.Errorf("%q: a pattern is a path without a leading or trailing slash, like front-door, front-door/* or grid/all", pattern)
	case strings.ContainsAny(pattern, "[]\\?"):
		return fmt.Errorf("%q: only * is special in a pattern", pattern)
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return fmt.Errorf("%q: %v", pattern, err)
	}
	return nil
}

// Validate checks a policy: unique names and tokens, something to log in
// with, valid patterns, a valid Anonymous and throttle.
func (p Policy) Validate() error {
	var errs []error
	names := map[string]bool{}
	tokens := map[string]string{}
	for i, u := range p.Users {
		who := fmt.Sprintf("user %q", u.Name)
		if u.Name == "" {
			who = fmt.Sprintf("user %d", i+1)
		}
		switch {
		case u.Name == "" && u.Password.Set():
			errs = append(errs, fmt.Errorf("%s: a password without a user name would let no one in (give the name too)", who))
		case u.Name == "" && u.Token == "":
			errs = append(errs, fmt.Errorf("%s: give a name and a password, or a token", who))
		case u.Name != "" && !u.Password.Set() && u.Token == "":
			errs = append(errs, fmt.Errorf("%s: no password and no token: no one could log in as this user (give password, password_hash or token)", who))
		}
		if strings.ContainsAny(u.Name, ":\"\r\n") {
			errs = append(errs, fmt.Errorf("%s: a name cannot hold ':', '\"' or a line break (HTTP Basic and RTSP could not carry it)", who))
		}
		if u.Name != "" {
			if names[u.Name] {
				errs = append(errs, fmt.Errorf("%s: configured twice", who))
			}
			names[u.Name] = true
		}
		if u.Token != "" {
			if other, dup := tokens[u.Token]; dup {
				errs = append(errs, fmt.Errorf("%s: has the same token as %s", who, other))
			}
			tokens[u.Token] = who
		}
		if !u.ReadAll && !u.Admin && len(u.Read) == 0 {
			errs = append(errs, fmt.Errorf("%s: may read nothing (give read: all, or read: [camera, camera/*, grid/name])", who))
		}
		for _, pat := range u.Read {
			if err := CheckPattern(pat); err != nil {
				errs = append(errs, fmt.Errorf("%s: read: %w", who, err))
			}
		}
	}
	switch p.Anonymous {
	case AnonymousDefault, AnonymousNone, AnonymousLoopback, AnonymousRead:
	default:
		errs = append(errs, fmt.Errorf("anonymous: %q: say none, loopback or read", string(p.Anonymous)))
	}
	if err := p.Throttle.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ThrottleConfig bounds failed logins per client address: after Failures
// within Window, the address is refused for Block, even with the right
// password.
type ThrottleConfig struct {
	Failures int           // default 10
	Window   time.Duration // default 1 min
	Block    time.Duration // default 5 min
}

// The throttle's defaults.
const (
	DefaultThrottleFailures = 10
	DefaultThrottleWindow   = time.Minute
	DefaultThrottleBlock    = 5 * time.Minute
)

// WithDefaults fills unset fields.
func (c ThrottleConfig) WithDefaults() ThrottleConfig {
	if c.Failures == 0 {
		c.Failures = DefaultThrottleFailures
	}
	if c.Window == 0 {
		c.Window = DefaultThrottleWindow
	}
	if c.Block == 0 {
		c.Block = DefaultThrottleBlock
	}
	return c
}

func (c ThrottleConfig) validate() error {
	switch {
	case c.Failures < 0 || c.Failures > 10000:
		return fmt.Errorf("login_throttle.failures: %d: give 1 to 10000", c.Failures)
	case c.Window < 0 || c.Window > 24*time.Hour:
		return fmt.Errorf("login_throttle.window: %v: give 1s to 24h", c.Window)
	case c.Block < 0 || c.Block > 24*time.Hour:
		return fmt.Errorf("login_throttle.block: %v: give 1s to 24h", c.Block)
	}
	return nil
}

// isLoopback reports whether a is this machine (IPv4-mapped IPv6 too).
func isLoopback(a netip.Addr) bool { return a.IsValid() && a.Unmap().IsLoopback() }
