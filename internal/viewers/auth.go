package viewers

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"
)

// Credentials are what a client presents: a user and password, or a token.
// camgate's dashboard gets the ones it appends to its players' requests.
type Credentials struct {
	User, Pass string
	Token      string
}

// Auth applies a Policy: it authenticates clients (with a cache for hashed
// passwords and a throttle per client address) and says what they may do.
// One Auth guards every reader protocol, so that the throttle sees the
// failures of all of them. It is safe for concurrent use.
type Auth struct {
	policy   Policy
	byName   map[string]*User
	throttle *throttle
	cache    *verifyCache
	// slots bounds the hashes checked at once: each argon2id check holds
	// its memory (19 MiB by default) while it runs.
	slots chan struct{}
	// internal is the dashboard's token: read every path. Random per
	// process, never written anywhere.
	internal string
	onBlock  atomic.Pointer[func(addr netip.Addr, block time.Duration)]
	// decoy is a user with a hashed password, or nil: a login with an
	// unknown name checks its password against the decoy's hash, so that an
	// unknown name takes as long as a known one and the time of a refusal
	// does not tell which names exist.
	decoy *User

	failures, throttled, blocks atomic.Uint64
}

// Result is the outcome of an authentication.
type Result int

const (
	// Authenticated: the identity is known (a user, or anonymous when no
	// credentials were given).
	Authenticated Result = iota
	// Failed: wrong credentials; counted against the address.
	Failed
	// Throttled: the address failed too often and is refused for a while.
	Throttled
)

// NewAuth makes an Auth of a policy, which must be valid (Policy.Validate).
func NewAuth(p Policy) *Auth {
	a := &Auth{
		policy: p, byName: map[string]*User{}, throttle: newThrottle(p.Throttle),
		cache: newVerifyCache(), slots: make(chan struct{}, 2),
	}
	for i := range a.policy.Users {
		u := &a.policy.Users[i]
		if u.Name != "" {
			a.byName[u.Name] = u
		}
		if a.decoy == nil && u.Password.Hashed() {
			a.decoy = u
		}
	}
	b := make([]byte, 24)
	rand.Read(b)
	a.internal = hex.EncodeToString(b)
	return a
}

// Policy returns the policy applied.
func (a *Auth) Policy() Policy { return a.policy }

// OnBlock sets what is called, once, when an address becomes throttled:
// the caller's log line.
func (a *Auth) OnBlock(f func(addr netip.Addr, block time.Duration)) { a.onBlock.Store(&f) }

// User returns the user of a name, nil if there is none.
func (a *Auth) User(name string) *User { return a.byName[name] }

// DashboardCredentials are credentials that read every path, for camgate's
// own dashboard (which is behind the API's guard): a random token made at
// start.
func (a *Auth) DashboardCredentials() Credentials { return Credentials{Token: a.internal} }

// Throttled reports how long addr is still refused (0: it is not).
func (a *Auth) Throttled(addr netip.Addr) time.Duration {
	d := a.throttle.blocked(addr)
	if d > 0 {
		a.throttled.Add(1)
	}
	return d
}

// Anonymous is the identity of a client that presented no credentials.
func (a *Auth) Anonymous(addr netip.Addr) Identity { return Identity{Addr: addr} }

// Password authenticates a user name and password from addr. A token is
// also taken as the password, with any name: RTSP players have no other
// place for it.
func (a *Auth) Password(addr netip.Addr, name, pass string) (Identity, Result) {
	if d := a.Throttled(addr); d > 0 {
		return Identity{Addr: addr}, Throttled
	}
	if u := a.byName[name]; u != nil {
		if a.match(u, pass) {
			return Identity{User: u, Addr: addr}, Authenticated
		}
	} else if a.decoy != nil {
		a.slots <- struct{}{}
		a.decoy.Password.Match(pass) // only for its time: the name is unknown
		<-a.slots
	}
	if id, ok := a.token(addr, pass); ok {
		return id, Authenticated
	}
	return Identity{Addr: addr}, a.Fail(addr)
}

// Token authenticates a token from addr.
func (a *Auth) Token(addr netip.Addr, token string) (Identity, Result) {
	if d := a.Throttled(addr); d > 0 {
		return Identity{Addr: addr}, Throttled
	}
	if id, ok := a.token(addr, token); ok {
		return id, Authenticated
	}
	return Identity{Addr: addr}, a.Fail(addr)
}

func (a *Auth) token(addr netip.Addr, token string) (Identity, bool) {
	if token == "" {
		return Identity{}, false
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(a.internal)) == 1 {
		return Identity{Addr: addr, internal: true}, true
	}
	var found *User
	for i := range a.policy.Users { // every one compared: the time says nothing
		u := &a.policy.Users[i]
		if u.Token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(u.Token)) == 1 {
			found = u
		}
	}
	if found == nil {
		return Identity{}, false
	}
	return Identity{User: found, Addr: addr}, true
}

// Verified is the identity of a user whose credentials the caller checked
// itself (RTSP Digest, which needs the plain password and the connection's
// nonce).
func (a *Auth) Verified(addr netip.Addr, u *User) Identity { return Identity{User: u, Addr: addr} }

// Fail counts a failed login from addr and returns Failed, or Throttled
// when this failure blocks the address.
func (a *Auth) Fail(addr netip.Addr) Result {
	a.failures.Add(1)
	if !a.throttle.fail(addr) {
		return Failed
	}
	a.blocks.Add(1)
	if f := a.onBlock.Load(); f != nil {
		(*f)(addr, a.throttle.cfg.Block)
	}
	return Throttled
}

// Permits reports whether id may do act on path (a stream path, with or
// without its leading slash, as the hub takes it).
func (a *Auth) Permits(id Identity, act Action, path string) bool {
	return a.policy.Permits(id, act, strings.Trim(path, "/"))
}

// match checks a password, hashes through the cache and the slots.
func (a *Auth) match(u *User, pass string) bool {
	if !u.Password.Hashed() {
		return u.Password.Match(pass)
	}
	key := a.cache.key(u.Name, pass)
	if a.cache.has(key) {
		return true
	}
	a.slots <- struct{}{}
	ok := u.Password.Match(pass)
	<-a.slots
	if ok {
		a.cache.add(key)
	}
	return ok
}

// Stats are the counters of failed logins.
type Stats struct {
	Failures  uint64 // wrong credentials
	Throttled uint64 // requests refused because their address was throttled
	Blocks    uint64 // times an address became throttled
	Addresses int    // addresses the throttle remembers
}

// Stats returns the counters.
func (a *Auth) Stats() Stats {
	return Stats{Failures: a.failures.Load(), Throttled: a.throttled.Load(), Blocks: a.blocks.Load(), Addresses: a.throttle.size()}
}
