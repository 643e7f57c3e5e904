package conf

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/transcode"
)

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

// buildOutput layers the camera's settings over the defaults' over base.
func buildOutput(base pipeline.OutputConfig, layers ...*fileOutput) (pipeline.OutputConfig, error) {
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

// firstOf is a, or b when a is unset: a layer over the one below.
func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// firstInt is a, or b when a is unset.
func firstInt(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}
