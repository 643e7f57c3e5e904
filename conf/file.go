package conf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
)

// The configuration file's shape. Every value is optional; a camera inherits
// what it does not set from `defaults`, and `defaults` from camgate's own.
type fileConfig struct {
	RTSP struct {
		Listen   string `yaml:"listen"`
		UDPRTP   string `yaml:"udp_rtp"`
		UDPRTCP  string `yaml:"udp_rtcp"`
		User     string `yaml:"user"`
		Password string `yaml:"password"`
		Token    string `yaml:"token"`

		// RTSPS (tls.go)
		Encryption  string   `yaml:"encryption"`
		RTSPSListen string   `yaml:"rtsps_listen"`
		TLS         *fileTLS `yaml:"tls"`

		// AuthMethods: basic, digest (users.go).
		AuthMethods []string `yaml:"auth_methods"`
	} `yaml:"rtsp"`
	// Who may watch (users.go).
	Users         []fileUser   `yaml:"users"`
	Anonymous     string       `yaml:"anonymous"`
	LoginThrottle fileThrottle `yaml:"login_throttle"`
	// TLS is the box's certificate, for every listener (tls.go).
	TLS    fileTLS    `yaml:"tls"`
	WebRTC fileWebRTC `yaml:"webrtc"`
	HLS    fileHLS    `yaml:"hls"`
	Log    struct {
		Level  string `yaml:"level"`
		Format string `yaml:"format"`
	} `yaml:"log"`
	API struct {
		// Who may drive the API (api/auth.go, api/guard.go).
		ReadToken     string   `yaml:"read_token"`
		ReadTokenFile string   `yaml:"read_token_file"`
		Hosts         []string `yaml:"hosts"`

		Listen    string `yaml:"listen"`
		Token     string `yaml:"token"`
		TokenFile string `yaml:"token_file"`

		TLS *fileTLS `yaml:"tls"` // tls.go
	} `yaml:"api"`
	Defaults fileCamera `yaml:"defaults"`
	Cameras  yaml.Node  `yaml:"cameras"`
	Grids    yaml.Node  `yaml:"grids"`
}

// Load reads and validates a configuration file.
func Load(path string) (*Conf, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse parses a configuration, with the environment's overrides applied
// (env.go). The error lists every problem found.
func Parse(b []byte) (*Conf, error) {
	var fc fileConfig
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(&fc); err != nil && !errors.Is(err, io.EOF) { // EOF: an empty file
		return nil, err
	}
	applyEnv(&fc, os.Getenv)
	out := &Conf{}
	var errs []error
	out.Log = LogConfig{Level: firstOf(fc.Log.Level, DefaultLogLevel), Format: firstOf(fc.Log.Format, DefaultLogFormat)}
	var err error
	out.API, err = buildAPI(&fc)
	if err != nil {
		errs = append(errs, err)
	}
	out.RTSP = buildRTSP(&fc)
	if err := buildReaders(&fc, out); err != nil {
		errs = append(errs, err)
	}
	if out.WebRTC, err = buildWebRTC(&fc); err != nil {
		errs = append(errs, err)
	}
	if out.HLS, err = buildHLS(&fc); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, buildTLS(&fc, out)...)
	errs = append(errs, buildCameras(&fc, out)...)
	errs = append(errs, buildGrids(&fc, out)...)
	if len(errs) == 0 {
		errs = append(errs, pipeline.CheckPaths(out.Config))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// buildAPI reads the api section; a token file wins over a token.
func buildAPI(fc *fileConfig) (APIConfig, error) {
	a := APIConfig{Listen: firstOf(fc.API.Listen, DefaultAPIListen), Token: fc.API.Token, ReadToken: fc.API.ReadToken}
	var errs []error
	if fc.API.TokenFile != "" {
		tok, err := readSecret(fc.API.TokenFile)
		a.Token = tok
		if err != nil {
			errs = append(errs, fmt.Errorf("api.token_file: %w", err))
		}
	}
	if fc.API.ReadTokenFile != "" {
		tok, err := readSecret(fc.API.ReadTokenFile)
		a.ReadToken = tok
		if err != nil {
			errs = append(errs, fmt.Errorf("api.read_token_file: %w", err))
		}
	}
	if a.ReadToken != "" && a.Token == "" {
		errs = append(errs, fmt.Errorf("api.read_token needs api.token too: without an admin token, anyone could change what the read token only reads"))
	}
	if a.ReadToken != "" && a.ReadToken == a.Token {
		errs = append(errs, fmt.Errorf("api.read_token is the same as api.token: give readers a token of their own"))
	}
	for _, h := range fc.API.Hosts {
		name, err := apiHostName(h)
		if err != nil {
			errs = append(errs, fmt.Errorf("api.hosts: %w", err))
			continue
		}
		a.Hosts = append(a.Hosts, name)
	}
	return a, errors.Join(errs...)
}

// buildRTSP reads the rtsp section: the server readers connect to.
func buildRTSP(fc *fileConfig) rtsp.ServerConfig {
	c := rtsp.ServerConfig{
		Address: firstOf(fc.RTSP.Listen, DefaultRTSPListen), UDPRTPAddress: fc.RTSP.UDPRTP, UDPRTCPAddress: fc.RTSP.UDPRTCP,
	}
	switch {
	case fc.RTSP.UDPRTP == "off" || fc.RTSP.UDPRTCP == "off":
		c.UDPRTPAddress, c.UDPRTCPAddress = "", "" // readers use TCP only
	case fc.RTSP.UDPRTP == "" && fc.RTSP.UDPRTCP == "":
		c.UDPRTPAddress, c.UDPRTCPAddress = DefaultRTSPUDPRTP, DefaultRTSPUDPRTCP
	}
	return c
}

// decodeStrict decodes n into v, refusing settings v does not have.
func decodeStrict(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("near line %d: %w", n.Line, err)
	}
	return nil
}

// lineOf returns the line of key in mapping node (of the node itself for ""
// or a missing key).
func lineOf(node *yaml.Node, key string) int {
	if node == nil {
		return 0
	}
	for i := 0; key != "" && i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key {
			return node.Content[i].Line
		}
	}
	return node.Line
}
