// Package testaddr gives a test addresses of this machine that are not
// loopback ones: a client that connects from one is, to camgate, a client on
// another machine.
package testaddr

import (
	"net/netip"
	"os/exec"
	"strings"
	"testing"
)

// NonLoopback adds the given IPv4 addresses (such as 10.211.7.1, unique to
// the calling test: packages' tests run in parallel) to this machine, and
// removes them when the test ends. They go on the lo interface, as /32: that
// needs no kernel module (a dummy interface does, and containers often lack
// it), and an address outside 127.0.0.0/8 is not loopback to anyone who
// looks at it, camgate included. It needs CAP_NET_ADMIN (root, as the tests
// run here and in CI); without it the test fails, saying so: it is not
// skipped.
func NonLoopback(t testing.TB, addrs ...string) []netip.Addr {
	t.Helper()
	var out []netip.Addr
	for _, s := range addrs {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() || a.IsLoopback() {
			t.Fatalf("testaddr: %q is not a non-loopback IPv4 address", s)
		}
		prefix := s + "/32"
		ip("addr", "del", prefix, "dev", "lo") // left over by a test that was killed
		if err := ip("addr", "add", prefix, "dev", "lo"); err != nil {
			t.Fatalf("this test needs an address of this machine other than a loopback one, which it adds: that needs CAP_NET_ADMIN (run the tests as root): %v", err)
		}
		t.Cleanup(func() { ip("addr", "del", prefix, "dev", "lo") })
		out = append(out, a)
	}
	return out
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return &ipError{args: args, out: strings.TrimSpace(string(out)), err: err}
	}
	return nil
}

type ipError struct {
	args []string
	out  string
	err  error
}

func (e *ipError) Error() string {
	return "ip " + strings.Join(e.args, " ") + ": " + e.err.Error() + ": " + e.out
}
