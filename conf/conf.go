package conf

import (
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
)

// Conf is a parsed configuration: what the gateway runs, and the settings of
// the API and the logs, which are cmd/camgate's to apply.
type Conf struct {
	pipeline.Config
	Log LogConfig
	API APIConfig

	// Who may read what, on every protocol, is RTSP.Readers (users.go):
	// the RTSP server applies it and shares it with WebRTC and HLS.
	WebRTC WebRTCConfig
	HLS    HLSConfig
	// TLS is the certificate each HTTP listener serves (tls.go).
	TLS TLSConfig
}

// LogConfig is the process's logging.
type LogConfig struct {
	Level  string // debug, info (default), warn or error
	Format string // auto (default: console on a terminal, else JSON), console or json
}

// APIConfig is where the HTTP API and dashboard listen, and its tokens.
type APIConfig struct {
	Listen string // default DefaultAPIListen; APIOff disables the API
	// Token is the admin token: it may do everything.
	Token string
	// ReadToken may only read: cameras, grids, snapshots, metrics and the
	// dashboard. It needs Token.
	ReadToken string
	// Hosts are the names browsers may reach the API by, besides IP
	// addresses, localhost and the name in Listen (api.hosts): the Host
	// check that stops DNS rebinding.
	Hosts []string
}

// Off reports whether the configuration turns the API off.
func (a APIConfig) Off() bool { return a.Listen == APIOff }

// The file's defaults, for settings it leaves out.
const (
	// DefaultRTSPListen is where readers reach the RTSP server.
	DefaultRTSPListen = rtsp.DefaultAddress
	// DefaultRTSPUDPRTP and DefaultRTSPUDPRTCP are the RTSP server's UDP
	// ports for readers; "off" in either setting leaves readers TCP only.
	DefaultRTSPUDPRTP  = ":8000"
	DefaultRTSPUDPRTCP = ":8001"
	// DefaultAPIListen is where the API and the dashboard listen: this
	// machine only.
	DefaultAPIListen = "127.0.0.1:9997"
	// APIOff as api.listen disables the API and the dashboard.
	APIOff = "off"
	// DefaultLogLevel and DefaultLogFormat are the logs' defaults.
	DefaultLogLevel  = "info"
	DefaultLogFormat = "auto"
	// DefaultFile is the configuration file camgate reads when given none.
	DefaultFile = "camgate.yml"
)
