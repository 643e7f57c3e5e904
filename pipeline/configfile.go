package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/transcode"
)

// File is a parsed configuration file.
type File struct {
	Config
	LogLevel  string
	LogFormat string
	API       APIConfig
}

// APIConfig is where the HTTP API and dashboard listen, and its token.
type APIConfig struct {
	Listen string // default "127.0.0.1:9997"; "off" disables the API
	Token  string
}

// The configuration file's shape. Every value is optional; a camera inherits
// what it does not set from `defaults`, and `defaults` from camgate's own.
type fileConfig struct {
	RTSP struct {
		Listen   string `yaml:"listen"`
		UDPRTP   string `yaml:"udp_rtp"`
		UDPRTCP  string `yaml:"udp_rtcp"`
		User     string `yaml:"user"`
		Password string `yaml:"password"`
	} `yaml:"rtsp"`
	Log struct {
		Level  string `yaml:"level"`
		Format string `yaml:"format"`
	} `yaml:"log"`
	API struct {
		Listen    string `yaml:"listen"`
		Token     string `yaml:"token"`
		TokenFile string `yaml:"token_file"`
	} `yaml:"api"`
	Defaults fileCamera `yaml:"defaults"`
	Cameras  yaml.Node  `yaml:"cameras"`
	Grids    yaml.Node  `yaml:"grids"`
}

// fileGrid is a grid: its cameras, layout and fit, and output settings.
type fileGrid struct {
	Cameras []string
	Layout  string
	Fit     string
	Output  fileOutput
}

func (g *fileGrid) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a grid is a mapping with cameras, layout, size …", n.Line)
	}
	rest := *n
	rest.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "cameras":
			err = v.Decode(&g.Cameras)
		case "layout":
			err = v.Decode(&g.Layout)
		case "fit":
			err = v.Decode(&g.Fit)
		default:
			rest.Content = append(rest.Content, k, v)
			continue
		}
		if err != nil {
			return fmt.Errorf("line %d: %s: %w", k.Line, k.Value, err)
		}
	}
	return g.Output.UnmarshalYAML(&rest)
}

type fileCamera struct {
	URL            string         `yaml:"url"`
	User           string         `yaml:"user"`
	Password       string         `yaml:"password"`
	PasswordFile   string         `yaml:"password_file"`
	Enabled        *bool          `yaml:"enabled"`
	Transport      string         `yaml:"transport"`
	StallTimeout   string         `yaml:"stall_timeout"`
	ConnectTimeout string         `yaml:"connect_timeout"`
	ReadTimeout    string         `yaml:"read_timeout"`
	Backoff        fileBackoff    `yaml:"backoff"`
	Main           *fileMain      `yaml:"main"`
	Sub            *fileOutput    `yaml:"sub"`
	Decoder        fileDecoder    `yaml:"decoder"`
	QueueSize      int            `yaml:"queue_size"`
	Extra          map[string]any `yaml:",inline"`
}

type fileBackoff struct {
	Min string `yaml:"min"`
	Max string `yaml:"max"`
}

type fileDecoder struct {
	Threads int  `yaml:"threads"`
	Deblock bool `yaml:"deblock"`
}

// fileOutput is a transcoded output; the scalar "off" disables it.
type fileOutput struct {
	Off     bool
	Size    string `yaml:"size"`
	FPS     int    `yaml:"fps"`
	Bitrate string `yaml:"bitrate"`
	MaxRate string `yaml:"maxrate"`
	BufSize string `yaml:"bufsize"`
	CRF     int    `yaml:"crf"`
	Preset  string `yaml:"preset"`
	Tune    string `yaml:"tune"`
	Profile string `yaml:"profile"`
	GOP     int    `yaml:"gop"`
	Threads int    `yaml:"threads"`
	Scale   string `yaml:"scale"`
}

func (o *fileOutput) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(n.Value) {
		case "off", "false", "no", "disabled":
			o.Off = true
			return nil
		}
		return fmt.Errorf("line %d: %q: expected \"off\" or a mapping of settings", n.Line, n.Value)
	}
	type plain fileOutput
	var p plain
	if err := decodeStrict(n, &p); err != nil {
		return err
	}
	*o = fileOutput(p)
	return nil
}

// fileMain is "passthrough" or "transcode", or a mapping with mode and settings.
type fileMain struct {
	Mode string `yaml:"mode"`
	fileOutput
}

func (m *fileMain) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		m.Mode = n.Value
		return nil
	}
	var mode struct {
		Mode string `yaml:"mode"`
	}
	var rest fileOutput
	// Decode the mode, then the settings without it.
	c := *n
	c.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "mode" {
			if err := n.Content[i+1].Decode(&mode.Mode); err != nil {
				return err
			}
			continue
		}
		c.Content = append(c.Content, n.Content[i], n.Content[i+1])
	}
	if err := rest.UnmarshalYAML(&c); err != nil {
		return err
	}
	m.Mode, m.fileOutput = mode.Mode, rest
	return nil
}

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

// LoadFile reads and validates a configuration file.
func LoadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// ParseConfig parses a configuration. The error lists every problem found.
func ParseConfig(b []byte) (*File, error) {
	var fc fileConfig
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(&fc); err != nil && !errors.Is(err, io.EOF) { // EOF: an empty file
		return nil, err
	}
	var errs []error
	applyEnv(&fc, os.Getenv)
	out := &File{LogLevel: fc.Log.Level, LogFormat: fc.Log.Format, API: APIConfig{Listen: fc.API.Listen, Token: fc.API.Token}}
	if fc.API.TokenFile != "" {
		tok, err := readSecret(fc.API.TokenFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("api.token_file: %w", err))
		}
		out.API.Token = tok
	}
	out.RTSP = rtsp.ServerConfig{
		Address: fc.RTSP.Listen, UDPRTPAddress: fc.RTSP.UDPRTP, UDPRTCPAddress: fc.RTSP.UDPRTCP,
		User: fc.RTSP.User, Pass: fc.RTSP.Password,
	}
	if out.RTSP.Address == "" {
		out.RTSP.Address = ":8554"
	}
	switch {
	case fc.RTSP.UDPRTP == "off" || fc.RTSP.UDPRTCP == "off":
		out.RTSP.UDPRTPAddress, out.RTSP.UDPRTCPAddress = "", "" // readers use TCP only
	case fc.RTSP.UDPRTP == "" && fc.RTSP.UDPRTCP == "":
		out.RTSP.UDPRTPAddress, out.RTSP.UDPRTCPAddress = ":8000", ":8001"
	}

	if fc.Cameras.Kind != 0 && fc.Cameras.Kind != yaml.MappingNode {
		errs = append(errs, fmt.Errorf("line %d: cameras: expected a mapping of name: settings", fc.Cameras.Line))
	}
	for i := 0; i+1 < len(fc.Cameras.Content); i += 2 {
		key, val := fc.Cameras.Content[i], fc.Cameras.Content[i+1]
		name := key.Value
		var fcam fileCamera
		if err := decodeStrict(val, &fcam); err != nil {
			errs = append(errs, fmt.Errorf("camera %s (line %d): %w", name, key.Line, err))
			continue
		}
		applyCameraEnv(name, &fcam, os.Getenv)
		cam, err := buildCamera(name, fc.Defaults, fcam, val)
		if err != nil {
			errs = append(errs, fmt.Errorf("camera %s (line %d): %w", name, key.Line, err))
			continue
		}
		if fcam.Enabled != nil && !*fcam.Enabled {
			out.Disabled = append(out.Disabled, name) // checked, kept, not started
			continue
		}
		out.Cameras = append(out.Cameras, cam)
	}
	if fc.Grids.Kind != 0 && fc.Grids.Kind != yaml.MappingNode {
		errs = append(errs, fmt.Errorf("line %d: grids: expected a mapping of name: settings", fc.Grids.Line))
	}
	cams := map[string]bool{}
	for i := 0; i+1 < len(fc.Cameras.Content); i += 2 {
		cams[fc.Cameras.Content[i].Value] = true
	}
	for i := 0; i+1 < len(fc.Grids.Content); i += 2 {
		key, val := fc.Grids.Content[i], fc.Grids.Content[i+1]
		var fg fileGrid
		if err := val.Decode(&fg); err != nil {
			errs = append(errs, fmt.Errorf("grid %s (line %d): %w", key.Value, key.Line, err))
			continue
		}
		gc, err := buildGrid(key.Value, fg, val)
		for _, c := range fg.Cameras {
			if !cams[c] {
				err = errors.Join(err, fmt.Errorf("camera %q does not exist", c))
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("grid %s (line %d): %w", key.Value, key.Line, err))
			continue
		}
		out.Grids = append(out.Grids, gc)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func buildGrid(name string, fg fileGrid, node *yaml.Node) (GridConfig, error) {
	g := GridConfig{Name: name, Cameras: fg.Cameras}
	var errs []error
	if fg.Layout != "" && fg.Layout != "auto" {
		c, r, err := ParseSize(fg.Layout)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: layout: %q: expected COLSxROWS such as 3x3, or auto", lineOf(node, "layout"), fg.Layout))
		}
		g.Cols, g.Rows = c, r
	}
	fit, err := ParseFit(fg.Fit)
	if err != nil {
		errs = append(errs, fmt.Errorf("line %d: %w", lineOf(node, "fit"), err))
	}
	g.Fit = fit
	o, err := buildOutput(DefaultGridOutput, &fg.Output)
	if err != nil {
		errs = append(errs, err)
	}
	g.Output = o
	if len(errs) > 0 {
		return g, errors.Join(errs...)
	}
	if err := g.WithDefaults().Validate(); err != nil {
		return g, fmt.Errorf("line %d: %w", lineOf(node, ""), err)
	}
	return g, nil
}

func buildCamera(name string, def, fc fileCamera, node *yaml.Node) (CameraConfig, error) {
	var errs []error
	add := func(field string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %s: %w", lineOf(node, field), field, err))
		}
	}
	if len(fc.Extra) > 0 {
		for k := range fc.Extra {
			errs = append(errs, fmt.Errorf("line %d: unknown setting %q", lineOf(node, k), k))
		}
	}
	c := CameraConfig{Name: name, URL: fc.URL}
	if fc.URL == "" {
		errs = append(errs, fmt.Errorf("line %d: url: missing (the camera's rtsp:// address)", lineOf(node, "")))
	}
	if fc.URL != "" {
		if _, err := rtsp.NewSource(rtsp.SourceConfig{URL: fc.URL}); err != nil {
			add("url", err)
		}
	}
	if fc.PasswordFile != "" {
		pw, err := readSecret(fc.PasswordFile)
		add("password_file", err)
		fc.Password = pw
	}
	if fc.User != "" || fc.Password != "" {
		u, err := withCredentials(fc.URL, fc.User, fc.Password)
		add("url", err)
		c.URL = u
	}
	var err error
	c.Transport, err = rtsp.ParseTransport(firstOf(fc.Transport, def.Transport))
	add("transport", err)
	c.StallTimeout, err = parseDuration(firstOf(fc.StallTimeout, def.StallTimeout))
	add("stall_timeout", err)
	c.ConnectTimeout, err = parseDuration(firstOf(fc.ConnectTimeout, def.ConnectTimeout))
	add("connect_timeout", err)
	c.ReadTimeout, err = parseDuration(firstOf(fc.ReadTimeout, def.ReadTimeout))
	add("read_timeout", err)
	c.Backoff.Min, err = parseDuration(firstOf(fc.Backoff.Min, def.Backoff.Min))
	add("backoff.min", err)
	c.Backoff.Max, err = parseDuration(firstOf(fc.Backoff.Max, def.Backoff.Max))
	add("backoff.max", err)
	c.QueueSize = firstInt(fc.QueueSize, def.QueueSize)
	c.Decoder = DecoderConfig{
		Threads: firstInt(fc.Decoder.Threads, def.Decoder.Threads),
		Deblock: fc.Decoder.Deblock || def.Decoder.Deblock,
	}

	c.Sub, err = buildOutput(DefaultSub, def.Sub, fc.Sub)
	add("sub", err)

	mode := "passthrough"
	var mainDef, mainCam *fileOutput
	if def.Main != nil {
		mode = firstOf(def.Main.Mode, mode)
		mainDef = &def.Main.fileOutput
	}
	if fc.Main != nil {
		mode = firstOf(fc.Main.Mode, mode)
		mainCam = &fc.Main.fileOutput
	}
	switch mode {
	case "passthrough":
	case "transcode":
		c.Main.Transcode = true
		base := OutputConfig{Enabled: true, Width: 1280, Height: 720, FPS: 25,
			Encoder: transcode.EncoderConfig{Preset: "veryfast", Bitrate: 2_000_000}}
		c.Main.Output, err = buildOutput(base, mainDef, mainCam)
		add("main", err)
		c.Main.Output.Enabled = true
	default:
		errs = append(errs, fmt.Errorf("main: mode %q: passthrough or transcode", mode))
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	if err := c.WithDefaults().Validate(); err != nil {
		return c, fmt.Errorf("line %d: %w", lineOf(node, ""), err)
	}
	return c, nil
}

// buildOutput layers the camera's settings over the defaults' over base.
func buildOutput(base OutputConfig, layers ...*fileOutput) (OutputConfig, error) {
	o := base
	var errs []error
	for _, l := range layers {
		if l == nil {
			continue
		}
		if l.Off {
			o.Enabled = false
			continue
		}
		o.Enabled = true
		if l.Size != "" {
			w, h, err := ParseSize(l.Size)
			if err != nil {
				errs = append(errs, fmt.Errorf("size: %w", err))
			}
			o.Width, o.Height = w, h
		}
		if l.FPS != 0 {
			o.FPS = l.FPS
		}
		for _, f := range []struct {
			name string
			val  string
			dst  *int
		}{{"bitrate", l.Bitrate, &o.Encoder.Bitrate}, {"maxrate", l.MaxRate, &o.Encoder.MaxRate}, {"bufsize", l.BufSize, &o.Encoder.BufSize}} {
			if f.val == "" {
				continue
			}
			v, err := ParseBitrate(f.val)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
			}
			*f.dst = v
		}
		if l.CRF != 0 {
			o.Encoder.CRF = l.CRF
			if l.Bitrate == "" {
				o.Encoder.Bitrate = 0 // CRF asked for: no inherited bitrate
			}
		}
		o.Encoder.Preset = firstOf(l.Preset, o.Encoder.Preset)
		o.Encoder.Tune = firstOf(l.Tune, o.Encoder.Tune)
		o.Encoder.Profile = firstOf(l.Profile, o.Encoder.Profile)
		o.Encoder.GOP = firstInt(l.GOP, o.Encoder.GOP)
		o.Encoder.Threads = firstInt(l.Threads, o.Encoder.Threads)
		if l.Scale != "" {
			a, err := transcode.ParseScaleAlgorithm(l.Scale)
			if err != nil {
				errs = append(errs, fmt.Errorf("scale: %w", err))
			}
			o.Scale = a
		}
	}
	if err := errors.Join(errs...); err != nil {
		return o, err
	}
	return o, o.Validate()
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

// readSecret reads a password or token from a file, without its trailing
// newline: secrets need not sit in the configuration.
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// withCredentials puts user and password into a camera URL.
func withCredentials(raw, user, password string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return raw, fmt.Errorf("cannot parse the URL to add credentials")
	}
	if user == "" && u.User != nil {
		user = u.User.Username()
	}
	if password == "" && u.User != nil {
		password, _ = u.User.Password()
	}
	u.User = url.UserPassword(user, password)
	return u.String(), nil
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func firstInt(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: a duration such as 500ms, 5s or 1m", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q: must not be negative", s)
	}
	return d, nil
}

// ParseSize reads "640x360".
func ParseSize(s string) (w, h int, err error) {
	a, b, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "x")
	if ok {
		w, err = strconv.Atoi(a)
		if err == nil {
			h, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("%q: expected WIDTHxHEIGHT, such as 640x360", s)
	}
	return w, h, nil
}

// ParseBitrate reads "512k", "2M", "2.5M" or a number of bit/s.
func ParseBitrate(s string) (int, error) {
	t := strings.TrimSpace(s)
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "k"), strings.HasSuffix(t, "K"):
		mult, t = 1e3, t[:len(t)-1]
	case strings.HasSuffix(t, "M"), strings.HasSuffix(t, "m"):
		mult, t = 1e6, t[:len(t)-1]
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q: expected a bitrate such as 512k or 2M", s)
	}
	return int(v * mult), nil
}
