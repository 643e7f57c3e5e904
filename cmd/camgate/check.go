package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
)

// cmdCheck validates a configuration and prints it as camgate understands
// it, every default filled in and every password redacted.
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("camgate check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("c", defaultConfig, "configuration file")
	ports := fs.Bool("ports", true, "also check that the RTSP and API ports are free")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	f, err := pipeline.LoadFile(*path)
	if err != nil {
		fmt.Fprintf(stderr, "camgate check: %v\n", err)
		return 1
	}
	var problems []string
	if *ports {
		addrs := []string{f.RTSP.Address}
		if f.API.Listen != "off" {
			addrs = append(addrs, firstNonEmpty(f.API.Listen, "127.0.0.1:9997"))
		}
		for _, a := range addrs {
			l, err := net.Listen("tcp", a)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: port in use or not available: %v", a, err))
				continue
			}
			l.Close()
		}
	}
	out, err := yaml.Marshal(effective(f))
	if err != nil {
		fmt.Fprintf(stderr, "camgate check: %v\n", err)
		return 1
	}
	stdout.Write(out)
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "camgate check: %s\n", strings.Join(problems, "\ncamgate check: "))
		return 1
	}
	fmt.Fprintf(stderr, "camgate check: %s is valid: %d cameras, %d grids\n", *path, len(f.Cameras), len(f.Grids))
	return 0
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// effective is the configuration with defaults filled in and secrets hidden.
func effective(f *pipeline.File) map[string]any {
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
	if f.RTSP.User != "" {
		rtspCfg["user"], rtspCfg["password"] = f.RTSP.User, "xxxxx"
	}
	apiCfg := map[string]any{"listen": firstNonEmpty(f.API.Listen, "127.0.0.1:9997")}
	if f.API.Token != "" {
		apiCfg["token"] = "xxxxx"
	}
	return map[string]any{
		"rtsp": rtspCfg, "api": apiCfg,
		"log":     map[string]string{"level": firstNonEmpty(f.LogLevel, "info"), "format": firstNonEmpty(f.LogFormat, "auto")},
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
