package rtsp

import (
	"fmt"
	"strings"

	"github.com/bluenviron/gortsplib/v5"
)

// Transport is how RTP travels between a camera and camgate.
type Transport int

// Transports. TCP is the default: interleaved in the RTSP connection, it
// crosses NAT and firewalls, loses nothing on a busy network, and is what
// cameras handle best. UDP has less latency on a clean LAN; Auto tries UDP
// first and falls back to TCP.
const (
	TransportTCP Transport = iota
	TransportUDP
	TransportAuto
)

func (t Transport) String() string {
	switch t {
	case TransportTCP:
		return "tcp"
	case TransportUDP:
		return "udp"
	case TransportAuto:
		return "auto"
	}
	return fmt.Sprintf("Transport(%d)", int(t))
}

// ParseTransport reads "tcp", "udp" or "auto"; the empty string is TCP.
func ParseTransport(s string) (Transport, error) {
	switch strings.ToLower(s) {
	case "", "tcp":
		return TransportTCP, nil
	case "udp":
		return TransportUDP, nil
	case "auto":
		return TransportAuto, nil
	}
	return 0, fmt.Errorf("unknown transport %q (tcp, udp or auto)", s)
}

func (t Transport) protocol() *gortsplib.Protocol {
	var p gortsplib.Protocol
	switch t {
	case TransportUDP:
		p = gortsplib.ProtocolUDP
	case TransportAuto:
		return nil
	default:
		p = gortsplib.ProtocolTCP
	}
	return &p
}
