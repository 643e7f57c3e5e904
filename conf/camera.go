package conf

import (
	"errors"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
)

// fileCamera is a camera's section, and the `defaults` section.
type fileCamera struct {
	URL            string         `yaml:"url"`
	SubURL         string         `yaml:"sub_url"`
	User           string         `yaml:"user"`
	Password       string         `yaml:"password"`
	PasswordFile   string         `yaml:"password_file"`
	EnvCredentials *bool          `yaml:"env_credentials"` // false: CAMGATE_CAMERA_<NAME>_USER/_PASSWORD are not for this camera's URL
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

// buildCameras reads the cameras section into out, in file order; disabled
// cameras are checked, then only named.
func buildCameras(fc *fileConfig, out *Conf) []error {
	var errs []error
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
	return errs
}

// buildCamera layers a camera's settings over the defaults section's, and
// those over pipeline's defaults.
func buildCamera(name string, def, fc fileCamera, node *yaml.Node) (pipeline.CameraConfig, error) {
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
	c := pipeline.CameraConfig{Name: name, URL: fc.URL}
	if fc.URL == "" {
		errs = append(errs, fmt.Errorf("line %d: url: missing (the camera's rtsp:// address)", lineOf(node, "")))
	}
	if fc.URL != "" {
		if _, err := rtsp.NewSource(rtsp.SourceConfig{URL: fc.URL}); err != nil {
			add("url", err)
		}
	}
	if def.SubURL != "" {
		errs = append(errs, errors.New("defaults: sub_url: a camera's own setting, not a default (each camera has its own address)"))
	}
	if fc.SubURL != "" {
		if _, err := rtsp.NewSource(rtsp.SourceConfig{URL: fc.SubURL}); err != nil {
			add("sub_url", err)
		}
		c.SubURL = fc.SubURL
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
		// The camera's user and password are for the camera: its own sub
		// stream gets them when it is on the same host and port, never a
		// URL elsewhere (give that one its own credentials in the URL).
		if fc.SubURL != "" && HostPort(fc.SubURL) == HostPort(fc.URL) {
			su, err := withCredentials(fc.SubURL, fc.User, fc.Password)
			add("sub_url", err)
			c.SubURL = su
		}
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
	add("backoff", c.WithDefaults().Backoff.Validate())
	c.QueueSize = firstInt(fc.QueueSize, def.QueueSize)
	c.Decoder = pipeline.DecoderConfig{
		Threads: firstInt(fc.Decoder.Threads, def.Decoder.Threads),
		Deblock: fc.Decoder.Deblock || def.Decoder.Deblock,
	}

	c.Sub, err = buildOutput(pipeline.DefaultSub, def.Sub, fc.Sub)
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
		c.Main.Output, err = buildOutput(pipeline.DefaultMainOutput, mainDef, mainCam)
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
