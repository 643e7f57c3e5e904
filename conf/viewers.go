package conf

import (
	"fmt"
	"net"
	"strings"

	"github.com/camgate/camgate/internal/viewers"
)

// The browser listeners' defaults: MediaMTX's ports, so that apps written
// for it reach camgate at the same URLs.
const (
	DefaultWebRTCListen = ":8889" // WHEP and the player pages
	DefaultWebRTCICEUDP = ":8189" // every WebRTC session's media, one UDP port
	DefaultWebRTCICETCP = ":8189" // the same over TCP, for networks that block UDP
	DefaultHLSListen    = ":8888" // LL-HLS and its player pages
	// Off, as a listen address, disables a listener.
	Off = "off"
)

// WebRTCConfig is the WebRTC (WHEP) listener's.
type WebRTCConfig struct {
	Listen         string   // DefaultWebRTCListen; Off disables WebRTC
	ICEUDP, ICETCP string   // "" when off
	Hosts          []string // extra addresses announced to browsers (NAT, containers)
	STUN           []string // STUN servers browsers and camgate may use; none by default
	CORS           viewers.CORS
}

// Off reports whether WebRTC is disabled.
func (w WebRTCConfig) Off() bool { return w.Listen == Off }

// HLSConfig is the LL-HLS listener's.
type HLSConfig struct {
	Listen string // DefaultHLSListen; Off disables HLS
	CORS   viewers.CORS
}

// Off reports whether HLS is disabled.
func (h HLSConfig) Off() bool { return h.Listen == Off }

// The sections in the file.
type fileWebRTC struct {
	Listen       string   `yaml:"listen"`
	ICEUDP       string   `yaml:"ice_udp"`
	ICETCP       string   `yaml:"ice_tcp"`
	Hosts        []string `yaml:"hosts"`
	STUN         []string `yaml:"stun"`
	AllowOrigins []string `yaml:"allow_origins"`
	TLS          *fileTLS `yaml:"tls"`
}

type fileHLS struct {
	Listen       string   `yaml:"listen"`
	AllowOrigins []string `yaml:"allow_origins"`
	TLS          *fileTLS `yaml:"tls"`
}

func buildWebRTC(fc *fileConfig) (WebRTCConfig, error) {
	f := fc.WebRTC
	w := WebRTCConfig{
		Listen: firstOf(f.Listen, DefaultWebRTCListen),
		ICEUDP: firstOf(f.ICEUDP, DefaultWebRTCICEUDP), ICETCP: firstOf(f.ICETCP, DefaultWebRTCICETCP),
		Hosts: f.Hosts, STUN: f.STUN,
	}
	var err error
	if w.CORS, err = buildOrigins("webrtc", f.AllowOrigins); err != nil {
		return w, err
	}
	if w.Off() {
		return w, nil
	}
	for _, a := range []struct{ key, v string }{{"listen", w.Listen}, {"ice_udp", w.ICEUDP}, {"ice_tcp", w.ICETCP}} {
		if a.v == Off && a.key != "listen" {
			continue
		}
		if _, _, err := net.SplitHostPort(a.v); err != nil {
			return w, fmt.Errorf("webrtc.%s: %q is not an address like \":8889\" or \"off\"", a.key, a.v)
		}
	}
	if w.ICEUDP == Off {
		w.ICEUDP = ""
	}
	if w.ICETCP == Off {
		w.ICETCP = ""
	}
	if w.ICEUDP == "" && w.ICETCP == "" {
		return w, fmt.Errorf("webrtc: ice_udp and ice_tcp are both off: browsers would have no way to receive video (turn WebRTC off with listen: off)")
	}
	for _, h := range w.Hosts {
		if net.ParseIP(h) == nil {
			return w, fmt.Errorf("webrtc.hosts: %q is not an IP address (give the address browsers reach this machine at)", h)
		}
	}
	for _, s := range w.STUN {
		if !strings.HasPrefix(s, "stun:") {
			return w, fmt.Errorf("webrtc.stun: %q: a STUN server is written stun:host:port", s)
		}
	}
	return w, nil
}

func buildHLS(fc *fileConfig) (HLSConfig, error) {
	h := HLSConfig{Listen: firstOf(fc.HLS.Listen, DefaultHLSListen)}
	var err error
	if h.CORS, err = buildOrigins("hls", fc.HLS.AllowOrigins); err != nil {
		return h, err
	}
	if !h.Off() {
		if _, _, err := net.SplitHostPort(h.Listen); err != nil {
			return h, fmt.Errorf("hls.listen: %q is not an address like \":8888\" or \"off\"", h.Listen)
		}
	}
	return h, nil
}

// buildOrigins checks allow_origins: "*" or origins like https://host:port.
func buildOrigins(section string, origins []string) (viewers.CORS, error) {
	if len(origins) == 0 {
		return viewers.CORS{Origins: viewers.DefaultOrigins}, nil
	}
	for _, o := range origins {
		if o == "*" {
			continue
		}
		if !(strings.HasPrefix(o, "http://") || strings.HasPrefix(o, "https://")) || strings.Count(o, "/") != 2 {
			return viewers.CORS{}, fmt.Errorf("%s.allow_origins: %q: an origin is a scheme and a host, like https://cams.example.com, without a path", section, o)
		}
	}
	return viewers.CORS{Origins: origins}, nil
}
