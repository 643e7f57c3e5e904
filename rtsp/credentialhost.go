package rtsp

import (
	"context"
	"fmt"
	"net"
	"strings"
)

// dialCamera returns the dial function of a camera's client. When the
// camera's URL carries a user or a password, it connects to the URL's own
// host:port only: gortsplib follows a camera's redirect (301–305) to any
// host with the URL's credentials, and a camera's credentials must not leave
// for a host they were not given for. A redirect elsewhere is then an error
// that says where to.
func dialCamera(host string, credentials bool, d net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if credentials && !sameAddress(addr, host) {
			return nil, fmt.Errorf("the camera redirected to %s: camgate does not take the camera's credentials to another host; if that is the camera, put it in the camera's url", addr)
		}
		return d.DialContext(ctx, network, addr)
	}
}

// sameAddress reports whether two host:port addresses are the same, the
// host in any case.
func sameAddress(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return strings.EqualFold(ha, hb) && pa == pb
}
