package rtsp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/auth"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/headers"

	"github.com/camgate/camgate/internal/viewers"
)

// AuthMethod is a way RTSP readers may send their password.
type AuthMethod string

const (
	// AuthBasic sends the password in clear (base64): anyone on the path
	// reads it. It is the only method that can check a hashed password.
	AuthBasic AuthMethod = "basic"
	// AuthDigest (MD5, what players implement) proves the password without
	// sending it; it needs the password in clear in the configuration.
	AuthDigest AuthMethod = "digest"
)

// realm is the RTSP and HTTP authentication realm.
const realm = "camgate"

// EffectiveAuthMethods returns the methods readers may use: the configured
// ones, or by default Basic and Digest (every player can log in), Basic
// only when a user's password is a hash (a player offered Digest uses it,
// and Digest cannot check a hash).
func (c ServerConfig) EffectiveAuthMethods() []AuthMethod {
	if len(c.AuthMethods) > 0 {
		return c.AuthMethods
	}
	for _, u := range c.Readers.Users {
		if u.Password.Hashed() {
			return []AuthMethod{AuthBasic}
		}
	}
	return []AuthMethod{AuthBasic, AuthDigest}
}

// ReadersPolicy is the policy with the User and Pass shorthand added, and
// checked: a password without a user is an error, never open access.
func (c ServerConfig) ReadersPolicy() (viewers.Policy, error) {
	p := c.Readers
	if c.User != "" || c.Pass != "" {
		if c.User == "" || c.Pass == "" {
			return p, errors.New("rtsp: user and password go together (give both, or neither)")
		}
		p.Users = append(slices.Clip(p.Users), viewers.ReaderOfAll(c.User, c.Pass, ""))
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	methods := c.EffectiveAuthMethods()
	for _, m := range methods {
		if m != AuthBasic && m != AuthDigest {
			return p, fmt.Errorf("rtsp.auth_methods: %q: give basic, digest or both", string(m))
		}
	}
	if slices.Contains(methods, AuthDigest) {
		for _, u := range p.Users {
			if u.Password.Hashed() {
				return p, fmt.Errorf("rtsp.auth_methods: digest cannot check user %q's password, which is a hash (Digest needs the password itself); "+
					"give that user a plain password, or auth_methods: [basic] (with TLS: Basic sends the password in clear)", u.Name)
			}
		}
	}
	return p, nil
}

func verifyMethods(methods []AuthMethod) []auth.VerifyMethod {
	var out []auth.VerifyMethod
	for _, m := range methods {
		if m == AuthBasic {
			out = append(out, auth.VerifyMethodBasic)
		} else {
			out = append(out, auth.VerifyMethodDigestMD5)
		}
	}
	return out
}

// connAuth is what a reader's connection keeps between requests: the nonce
// of its Digest challenge.
type connAuth struct{ nonce string }

func (h *serverHandler) connAuth(c *gortsplib.ServerConn) *connAuth {
	if ca, ok := c.UserData().(*connAuth); ok {
		return ca
	}
	n, _ := auth.GenerateNonce()
	ca := &connAuth{nonce: n}
	c.SetUserData(ca)
	return ca
}

// connAddr is the reader's address, from its connection.
func connAddr(c *gortsplib.ServerConn) netip.Addr {
	if a, ok := c.NetConn().RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	ap, _ := netip.ParseAddrPort(c.NetConn().RemoteAddr().String())
	return ap.Addr().Unmap()
}

// The errors that close a reader's connection after its 401. (gortsplib's
// own ErrServerAuth would add a challenge of its own when the user name is
// empty, and keep the connection open.)
var (
	errThrottled        = errors.New("too many failed logins from this address")
	errWrongCredentials = errors.New("wrong credentials")
	errMethod           = errors.New("an authentication method this server does not take (see rtsp.auth_methods)")
)

// authorize checks that a request may read path. It returns nil when it
// may, else the response to send and the error to give gortsplib: with no
// credentials (or a stale Digest nonce), a challenge and no error (the
// connection stays open for the player's next try); with wrong ones, 401,
// and the connection closes; with a throttled address, 401 with
// Retry-After, and the connection closes.
func (h *serverHandler) authorize(c *gortsplib.ServerConn, req *base.Request, path string) (*base.Response, error) {
	a := h.auth
	addr := connAddr(c)
	if d := a.Throttled(addr); d > 0 {
		return throttledResponse(d), errThrottled
	}
	var id viewers.Identity
	res := viewers.Authenticated
	if len(req.Header["Authorization"]) == 0 {
		id = a.Anonymous(addr)
	} else {
		var hdr headers.Authorization
		if err := hdr.Unmarshal(req.Header["Authorization"]); err != nil {
			return &base.Response{StatusCode: base.StatusBadRequest}, fmt.Errorf("authorization header: %w", err)
		}
		switch {
		case hdr.Method == headers.AuthMethodBasic && slices.Contains(h.methods, AuthBasic):
			id, res = a.Password(addr, hdr.Username, hdr.BasicPass)
		case hdr.Method == headers.AuthMethodDigest && slices.Contains(h.methods, AuthDigest):
			ca := h.connAuth(c)
			if hdr.Nonce != ca.nonce {
				// Another connection's nonce (a player that reconnected):
				// not a wrong password. A new challenge.
				return h.challenge(c), nil
			}
			u := a.User(hdr.Username)
			if u == nil || u.Password.Hashed() ||
				auth.Verify(req, u.Name, u.Password.Plain(), verifyMethods(h.methods), realm, ca.nonce) != nil {
				res = a.Fail(addr)
			} else {
				id = a.Verified(addr, u)
			}
		default:
			// A method this server does not take (Basic when Digest only):
			// refused without looking at the password.
			return &base.Response{StatusCode: base.StatusUnauthorized}, errMethod
		}
	}
	switch {
	case res == viewers.Throttled:
		return throttledResponse(a.Throttled(addr)), errThrottled
	case res == viewers.Failed:
		return &base.Response{StatusCode: base.StatusUnauthorized}, errWrongCredentials
	case a.Permits(id, viewers.ActionRead, path):
		return nil, nil
	case id.Anonymous():
		return h.challenge(c), nil
	}
	return &base.Response{StatusCode: base.StatusForbidden}, fmt.Errorf("user %q may not read %q", id.Name(), path)
}

// challenge is a 401 asking for credentials by the configured methods.
func (h *serverHandler) challenge(c *gortsplib.ServerConn) *base.Response {
	return &base.Response{
		StatusCode: base.StatusUnauthorized,
		Header:     base.Header{"WWW-Authenticate": auth.GenerateWWWAuthenticate(verifyMethods(h.methods), realm, h.connAuth(c).nonce)},
	}
}

func throttledResponse(left time.Duration) *base.Response {
	secs := max(int((left+time.Second-1)/time.Second), 1)
	return &base.Response{StatusCode: base.StatusUnauthorized, Header: base.Header{"Retry-After": base.HeaderValue{strconv.Itoa(secs)}}}
}
