package main

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/api"
	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/hls"
	"github.com/camgate/camgate/internal/viewers"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/webrtc"
)

// browserServers are the listeners browsers play from: WebRTC (WHEP) and
// LL-HLS, two more reader protocols of the gateway's stream hub. Either is
// nil when the configuration turns it off.
type browserServers struct {
	webrtc *webrtc.Server
	hls    *hls.Server
	auth   *viewers.Auth // the RTSP server's, which both share
}

// startBrowserServers starts the WebRTC and HLS listeners, guarded by the
// gateway's readers' policy; on an error nothing is left open. It first
// logs what in that policy is less safe than it looks.
func startBrowserServers(file *conf.Conf, gw *pipeline.Gateway, log zerolog.Logger) (*browserServers, error) {
	hub := gw.Hub()
	b := &browserServers{auth: gw.Server().Auth()}
	guardReaders(file, b.auth, log)
	if !file.WebRTC.Off() {
		w := file.WebRTC
		tlsConf, err := serverTLS(file.TLS.WebRTC, log)
		if err != nil {
			return nil, fmt.Errorf("webrtc.tls: %w", err)
		}
		srv, err := webrtc.NewServer(webrtc.Config{
			Address: w.Listen, ICEUDP: w.ICEUDP, ICETCP: w.ICETCP, Hosts: w.Hosts, STUN: w.STUN,
			Auth: b.auth, CORS: w.CORS, Log: log.With().Str("component", "webrtc").Logger(), TLS: tlsConf,
		}, hub)
		if err != nil {
			return nil, fmt.Errorf("webrtc: %w (set webrtc.listen, or webrtc: {listen: off})", err)
		}
		b.webrtc = srv
	}
	if !file.HLS.Off() {
		tlsConf, err := serverTLS(file.TLS.HLS, log)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("hls.tls: %w", err)
		}
		srv, err := hls.NewServer(hls.Config{
			Address: file.HLS.Listen, Auth: b.auth, CORS: file.HLS.CORS,
			Log: log.With().Str("component", "hls").Logger(), TLS: tlsConf,
		}, hub)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("hls: %w (set hls.listen, or hls: {listen: off})", err)
		}
		b.hls = srv
	}
	return b, nil
}

// live tells the API where browsers play the streams, and gives its
// dashboard credentials that read every path (the dashboard is behind the
// API's own guard).
func (b *browserServers) live(readers conf.Conf) api.Live {
	l := api.Live{
		Readers: b.auth.DashboardCredentials(), HLSScript: hls.Script(),
		WebRTCTLS: readers.TLS.WebRTC.On(), HLSTLS: readers.TLS.HLS.On(),
	}
	if b.webrtc != nil {
		l.WebRTC = b.webrtc.Addr()
	}
	if b.hls != nil {
		l.HLS = b.hls.Addr()
	}
	return l
}

// printURLs prints the browser URLs of a path, after its RTSP URL.
func (b *browserServers) printURLs(stdout io.Writer, path string) {
	if b.webrtc != nil {
		fmt.Fprintf(stdout, "webrtc %s\n", b.webrtc.URL(path))
	}
	if b.hls != nil {
		fmt.Fprintf(stdout, "hls %s\n", b.hls.URL(path))
	}
}

// printStream prints the RTSP URL of a path, and its RTSPS URL when RTSP
// serves both.
func printStream(stdout io.Writer, srv *rtsp.Server, path string) {
	fmt.Fprintf(stdout, "stream %s\n", srv.URL(path))
	if u := srv.TLSURL(path); u != "" && u != srv.URL(path) {
		fmt.Fprintf(stdout, "stream %s\n", u)
	}
}

// Close closes both listeners and ends their sessions.
func (b *browserServers) Close() {
	if b.webrtc != nil {
		b.webrtc.Close()
	}
	if b.hls != nil {
		b.hls.Close()
	}
}

// guardReaders logs every warning about who may watch, and makes the
// throttle log one line when it blocks an address.
func guardReaders(file *conf.Conf, auth *viewers.Auth, log zerolog.Logger) {
	for _, w := range conf.Warnings(file) {
		log.Warn().Msg(w)
	}
	for _, n := range conf.Notices(file) {
		log.Info().Msg(n)
	}
	auth.OnBlock(func(addr netip.Addr, block time.Duration) {
		log.Warn().Str("client", addr.String()).Dur("block", block).Int("failures", auth.Policy().Throttle.WithDefaults().Failures).
			Msg("too many failed logins: this address is refused for a while (login_throttle)")
	})
}

// ephemeralICE gives WebRTC ephemeral ICE ports when its HTTP listener asked
// for an ephemeral port (-webrtc 127.0.0.1:0): several instances then run
// side by side, as tests do.
func ephemeralICE(w *conf.WebRTCConfig) {
	if _, port, err := net.SplitHostPort(w.Listen); err != nil || port != "0" {
		return
	}
	host, _, _ := net.SplitHostPort(w.Listen)
	if w.ICEUDP != "" {
		w.ICEUDP = net.JoinHostPort(host, "0")
	}
	if w.ICETCP != "" {
		w.ICETCP = net.JoinHostPort(host, "0")
	}
}
