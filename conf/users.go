package conf

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/camgate/camgate/internal/viewers"
	"github.com/camgate/camgate/rtsp"
)

// fileUser is one entry of the users list.
type fileUser struct {
	Name         string   `yaml:"name"`
	Password     string   `yaml:"password"`      // in clear (RTSP Digest needs it so)
	PasswordHash string   `yaml:"password_hash"` // argon2id or bcrypt
	Token        string   `yaml:"token"`
	Read         readList `yaml:"read"`
	Admin        bool     `yaml:"admin"`
}

// readList is `read: all` or `read: [front-door, garage/*, grid/all]`.
type readList struct {
	all      bool
	patterns []string
}

func (r *readList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if n.Value != "all" {
			return fmt.Errorf("line %d: read: %q: say all, or list paths: read: [%s]", n.Line, n.Value, n.Value)
		}
		r.all = true
		return nil
	}
	return n.Decode(&r.patterns)
}

type fileThrottle struct {
	Failures int    `yaml:"failures"`
	Window   string `yaml:"window"`
	Block    string `yaml:"block"`
}

// buildReaders reads who may watch: the users list, the rtsp section's
// user, password and token (a shorthand for one reader of every path),
// anonymous and login_throttle; and rtsp.auth_methods. It sets the RTSP
// server's configuration, which applies them to every reader protocol.
func buildReaders(fc *fileConfig, out *Conf) error {
	var errs []error
	var p viewers.Policy
	for i, fu := range fc.Users {
		u := viewers.User{Name: fu.Name, Token: fu.Token, Read: fu.Read.patterns, ReadAll: fu.Read.all, Admin: fu.Admin}
		who := fmt.Sprintf("users[%d] (%s)", i, fu.Name)
		switch {
		case fu.Password != "" && fu.PasswordHash != "":
			errs = append(errs, fmt.Errorf("%s: give password or password_hash, not both", who))
		case fu.PasswordHash != "":
			h, err := viewers.ParseHash(fu.PasswordHash)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: password_hash: %w", who, err))
			}
			u.Password = h
		case fu.Password != "":
			u.Password = viewers.PlainPassword(fu.Password)
		}
		p.Users = append(p.Users, u)
	}
	r := fc.RTSP
	switch {
	case r.Password != "" && r.User == "":
		errs = append(errs, errors.New("rtsp: user and password go together: a password without a user would guard nothing (give rtsp.user too, or use the users list)"))
	case r.User != "" && r.Password == "":
		errs = append(errs, errors.New("rtsp: user and password go together: give rtsp.password too (or use the users list)"))
	case r.User != "" || r.Token != "":
		p.Users = append(p.Users, viewers.ReaderOfAll(r.User, r.Password, r.Token))
	}
	p.Anonymous = viewers.Anonymous(fc.Anonymous)
	t := fc.LoginThrottle
	p.Throttle.Failures = t.Failures
	var err error
	if t.Window != "" {
		if p.Throttle.Window, err = parseDuration(t.Window); err != nil || p.Throttle.Window <= 0 {
			errs = append(errs, fmt.Errorf("login_throttle.window: %q: give a duration like 1m", t.Window))
		}
	}
	if t.Block != "" {
		if p.Throttle.Block, err = parseDuration(t.Block); err != nil || p.Throttle.Block <= 0 {
			errs = append(errs, fmt.Errorf("login_throttle.block: %q: give a duration like 5m", t.Block))
		}
	}
	if err := p.Validate(); err != nil {
		errs = append(errs, err)
	}
	out.RTSP.Readers = p
	for _, m := range r.AuthMethods {
		out.RTSP.AuthMethods = append(out.RTSP.AuthMethods, rtsp.AuthMethod(m))
	}
	if len(errs) == 0 {
		if _, err := out.RTSP.ReadersPolicy(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Warnings lists what in a configuration looks secure but is not, or opens
// more than it seems to: camgate logs each at start and `camgate check`
// prints them. Each says what to do.
func Warnings(c *Conf) []string {
	return securityNotes(c, false)
}

// Notices are facts about who may watch that are safe but may surprise:
// with no users, readers from other machines are refused.
func Notices(c *Conf) []string {
	return securityNotes(c, true)
}

func securityNotes(c *Conf, notices bool) []string {
	var w []string
	p := c.RTSP.Readers
	anon := p.EffectiveAnonymous()
	listeners := []struct{ name, addr string }{{"rtsp.listen", c.RTSP.Address}}
	if !c.WebRTC.Off() {
		listeners = append(listeners, struct{ name, addr string }{"webrtc.listen", firstOf(c.WebRTC.Listen, DefaultWebRTCListen)})
	}
	if !c.HLS.Off() {
		listeners = append(listeners, struct{ name, addr string }{"hls.listen", firstOf(c.HLS.Listen, DefaultHLSListen)})
	}
	var public []string
	for _, l := range listeners {
		if !loopbackOnly(l.addr) {
			public = append(public, l.name+" "+l.addr)
		}
	}
	if notices {
		if len(p.Users) == 0 && anon != viewers.AnonymousRead && len(public) > 0 {
			w = append(w, fmt.Sprintf("no users are configured: readers from other machines (at %v) are refused; "+
				"add users (camgate hash-password makes a password hash), or say anonymous: read", public))
		}
		return w
	}
	if anon == viewers.AnonymousRead && len(public) > 0 {
		w = append(w, fmt.Sprintf("anonymous: read lets anyone who reaches %v watch every stream without credentials; "+
			"if that is not meant, remove it and add users", public))
	}
	methods := c.RTSP.EffectiveAuthMethods()
	hasPassword := slices.ContainsFunc(p.Users, func(u viewers.User) bool { return u.Password.Set() })
	// Over RTSPS only (encryption: strict), Basic travels inside TLS.
	if hasPassword && slices.Contains(methods, rtsp.AuthBasic) && !loopbackOnly(c.RTSP.Address) && c.RTSP.Encryption != rtsp.EncryptionStrict {
		fix := "set rtsp.auth_methods: [digest], or serve RTSPS only (tls: {cert: ..., key: ...} and rtsp.encryption: strict)"
		if slices.ContainsFunc(p.Users, func(u viewers.User) bool { return u.Password.Hashed() }) {
			fix = "Digest cannot check hashed passwords: use plain passwords with rtsp.auth_methods: [digest], or serve RTSPS only (tls: {cert: ..., key: ...} and rtsp.encryption: strict)"
		}
		w = append(w, fmt.Sprintf("RTSP readers may log in with Basic, which sends the password in clear to %s: %s", c.RTSP.Address, fix))
	}
	for _, u := range p.Users {
		if u.Token != "" && len(u.Token) < 16 {
			w = append(w, fmt.Sprintf("%s: the token is %d characters and can be guessed: give at least 16 random ones (openssl rand -hex 16)", userName(u), len(u.Token)))
		}
		if u.Token != "" && !slices.Contains(methods, rtsp.AuthBasic) {
			w = append(w, fmt.Sprintf("%s's token cannot be used over RTSP with auth_methods [digest] (RTSP players give a token as the Basic password); it still works over WebRTC and HLS", userName(u)))
		}
	}
	return w
}

// loopbackOnly reports whether a listen address takes connections from
// this machine only.
func loopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func userName(u viewers.User) string {
	if u.Name == "" {
		return "rtsp.token"
	}
	return "user " + fmt.Sprintf("%q", u.Name)
}
