package conf

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
)

// Effective is the configuration as YAML, as camgate understands it: every
// default filled in, every password and token hidden.
func Effective(c *Conf) ([]byte, error) {
	return yaml.Marshal(effective(c))
}

func effective(f *Conf) map[string]any {
	cams := map[string]any{}
	for _, c := range f.Cameras {
		c = c.WithDefaults()
		cam := map[string]any{
			"url": rtsp.Redact(c.URL), "transport": c.Transport.String(),
			"stall_timeout": c.StallTimeout.String(), "backoff": map[string]string{"min": c.Backoff.Min.String(), "max": c.Backoff.Max.String()},
			"decoder": map[string]any{"threads": max(c.Decoder.Threads, 1), "deblock": c.Decoder.Deblock},
		}
		if c.Main.Transcode {
			cam["main"] = outputMap(c.Main.Output)
		} else {
			cam["main"] = "passthrough"
		}
		if c.Sub.Enabled {
			cam["sub"] = outputMap(c.Sub)
		} else {
			cam["sub"] = "off"
		}
		cams[c.Name] = cam
	}
	grids := map[string]any{}
	for _, g := range f.Grids {
		g = g.WithDefaults()
		m := outputMap(g.Output)
		m["cameras"] = g.Cameras
		m["layout"] = fmt.Sprintf("%dx%d", g.Cols, g.Rows)
		m["fit"] = g.Fit.String()
		grids[g.Name] = m
	}
	rtspCfg := map[string]any{"listen": f.RTSP.Address, "udp_rtp": f.RTSP.UDPRTPAddress, "udp_rtcp": f.RTSP.UDPRTCPAddress}
	var methods []string
	for _, m := range f.RTSP.EffectiveAuthMethods() {
		methods = append(methods, string(m))
	}
	rtspCfg["auth_methods"] = methods
	users := []map[string]any{}
	for _, u := range f.RTSP.Readers.Users {
		m := map[string]any{"name": u.Name}
		if u.Name == "" {
			m["name"] = "(rtsp.token)"
		}
		if u.Password.Set() {
			m["password"] = u.Password.Kind() + " xxxxx"
		}
		if u.Token != "" {
			m["token"] = "xxxxx"
		}
		if u.ReadAll {
			m["read"] = "all"
		} else {
			m["read"] = u.Read
		}
		if u.Admin {
			m["admin"] = true
		}
		users = append(users, m)
	}
	thr := f.RTSP.Readers.Throttle.WithDefaults()
	webrtcCfg := map[string]any{"listen": firstOf(f.WebRTC.Listen, DefaultWebRTCListen), "ice_udp": firstOf(f.WebRTC.ICEUDP, Off),
		"ice_tcp": firstOf(f.WebRTC.ICETCP, Off), "hosts": f.WebRTC.Hosts, "stun": f.WebRTC.STUN, "allow_origins": f.WebRTC.CORS.Origins}
	hlsCfg := map[string]any{"listen": firstOf(f.HLS.Listen, DefaultHLSListen), "allow_origins": f.HLS.CORS.Origins}
	apiCfg := map[string]any{"listen": firstOf(f.API.Listen, DefaultAPIListen)}
	if f.API.Token != "" {
		apiCfg["token"] = "xxxxx"
	}
	effectiveTLS(f, rtspCfg, apiCfg, webrtcCfg, hlsCfg)
	return map[string]any{
		"users": users, "anonymous": string(f.RTSP.Readers.EffectiveAnonymous()),
		"login_throttle": map[string]any{"failures": thr.Failures, "window": thr.Window.String(), "block": thr.Block.String()},
		"rtsp":           rtspCfg, "api": apiCfg, "webrtc": webrtcCfg, "hls": hlsCfg,
		"log":     map[string]string{"level": firstOf(f.Log.Level, DefaultLogLevel), "format": firstOf(f.Log.Format, DefaultLogFormat)},
		"cameras": cams, "grids": grids,
	}
}

func outputMap(o pipeline.OutputConfig) map[string]any {
	e := o.Encoder
	e.Width, e.Height, e.FPS = o.Width, o.Height, o.FPS
	e = e.WithDefaults()
	m := map[string]any{
		"size": fmt.Sprintf("%dx%d", o.Width, o.Height), "fps": o.FPS, "preset": e.Preset, "tune": e.Tune,
		"profile": e.Profile, "gop": e.GOP, "threads": e.Threads, "scale": o.Scale.String(),
	}
	if e.Bitrate > 0 {
		m["bitrate"], m["maxrate"], m["bufsize"] = e.Bitrate, e.MaxRate, e.BufSize
	} else {
		m["crf"] = e.CRF
	}
	return m
}
