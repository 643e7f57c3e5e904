package bench

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/transcode"
)

// Matrix is the set of settings a benchmark tries: every combination of the
// values of its axes. Each axis is a list of values in their camgate.yml
// spelling; an empty axis takes camgate's default.
type Matrix map[string][]string

// Axes are the axes of a Matrix, in the order labels and tables use, with
// what each one is.
var Axes = []struct{ Name, Help string }{
	{"preset", "x264 presets: ultrafast … veryslow"},
	{"rate", "rate control: crf23 (constant quality) or a bitrate with VBV such as 512k, 1M"},
	{"size", "output sizes WxH"},
	{"fps", "output frame rates (at most the input's)"},
	{"tune", "x264 tunes: zerolatency, film, animation, grain, stillimage, fastdecode, none"},
	{"gop", "frames from one keyframe to the next (0: 2 seconds)"},
	{"threads", "x264 threads"},
	{"scale", "scaling algorithms: area, bilinear, bicubic, lanczos, fast_bilinear, point"},
	{"deblock", "deblock every picture (true) or keyframes only (false, camgate's default)"},
	{"decoder-threads", "decoder threads"},
}

// DefaultMatrix is what `camgate bench` runs with no axis given: the presets
// that matter on small machines, constant quality against camgate's default
// bitrate, and the two usual sub-stream sizes, at the default sub frame rate.
// 30 settings; about a minute on 2 cores.
func DefaultMatrix() Matrix {
	return Matrix{
		"preset": {"ultrafast", "superfast", "veryfast", "faster", "medium"},
		"rate":   {"crf23", "crf28", "512k"},
		"size":   {"640x360", "960x540"},
	}
}

// Set replaces one axis by a comma-separated list of values.
func (m Matrix) Set(axis, list string) error {
	if !knownAxis(axis) {
		return fmt.Errorf("unknown axis %q (one of %s)", axis, axisNames())
	}
	var vals []string
	for _, v := range strings.Split(list, ",") {
		if v = strings.TrimSpace(v); v != "" {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return fmt.Errorf("%s: no values", axis)
	}
	m[axis] = vals
	return nil
}

// ParseMatrix reads a matrix from YAML: axis names as keys, each with a list of
// values or a single one. Every problem is reported, with its line.
func ParseMatrix(b []byte) (Matrix, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	m := Matrix{}
	if len(doc.Content) == 0 {
		return m, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: expected a mapping of axis names to lists of values", root.Line)
	}
	var errs []error
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if !knownAxis(k.Value) {
			errs = append(errs, fmt.Errorf("line %d: unknown axis %q (one of %s)", k.Line, k.Value, axisNames()))
			continue
		}
		var vals []string
		switch v.Kind {
		case yaml.ScalarNode:
			vals = []string{v.Value}
		case yaml.SequenceNode:
			for _, e := range v.Content {
				if e.Kind != yaml.ScalarNode {
					errs = append(errs, fmt.Errorf("line %d: %s: values are plain scalars", e.Line, k.Value))
					continue
				}
				vals = append(vals, e.Value)
			}
		default:
			errs = append(errs, fmt.Errorf("line %d: %s: expected a value or a list", v.Line, k.Value))
			continue
		}
		m[k.Value] = vals
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	_, err := m.Settings(25)
	return m, err
}

// Settings expands the matrix into its settings, in a stable order, for an
// input of inputFPS frames a second. It reports every value that does not
// parse or that x264 would refuse.
func (m Matrix) Settings(inputFPS int) ([]Setting, error) {
	var errs []error
	axis := func(name string, def string, parse func(string, *Setting) error) []func(*Setting) error {
		vals := m[name]
		if len(vals) == 0 {
			vals = []string{def}
		}
		var fns []func(*Setting) error
		for _, v := range vals {
			v := v
			// Each value alone, on an otherwise default setting, so that a
			// bad value is reported once and not once per combination.
			t := Setting{Width: 640, Height: 360, FPS: 10}
			if err := parse(v, &t); err != nil {
				errs = append(errs, fmt.Errorf("%s %q: %w", name, v, err))
				continue
			}
			if err := t.encoderConfig().Validate(); err != nil {
				errs = append(errs, err) // names the field and the value
				continue
			}
			fns = append(fns, func(s *Setting) error { return parse(v, s) })
		}
		return fns
	}
	axes := [][]func(*Setting) error{
		axis("preset", "veryfast", func(v string, s *Setting) error { s.Encoder.Preset = v; return nil }),
		axis("rate", "512k", parseRate),
		axis("size", "640x360", func(v string, s *Setting) error {
			var err error
			s.Width, s.Height, err = conf.ParseSize(v)
			return err
		}),
		axis("fps", strconv.Itoa(min(pipeline.DefaultSub.FPS, inputFPS)), func(v string, s *Setting) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 60 {
				return errors.New("expected a number of frames per second, 1 to 60")
			}
			s.FPS = min(n, max(1, inputFPS))
			return nil
		}),
		axis("tune", "zerolatency", func(v string, s *Setting) error { s.Encoder.Tune = v; return nil }),
		axis("gop", "0", func(v string, s *Setting) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return errors.New("expected a number of frames (0: 2 seconds)")
			}
			s.Encoder.GOP = n
			return nil
		}),
		axis("threads", "1", func(v string, s *Setting) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 64 {
				return errors.New("expected a number of threads, 1 to 64")
			}
			s.Encoder.Threads = n
			return nil
		}),
		axis("scale", "area", func(v string, s *Setting) error {
			var err error
			s.Scale, err = transcode.ParseScaleAlgorithm(v)
			return err
		}),
		axis("deblock", "false", func(v string, s *Setting) error {
			var err error
			s.Deblock, err = strconv.ParseBool(v)
			return err
		}),
		axis("decoder-threads", "1", func(v string, s *Setting) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 64 {
				return errors.New("expected a number of threads, 1 to 64")
			}
			s.DecoderThreads = n
			return nil
		}),
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	settings := []Setting{{}}
	for _, fns := range axes {
		var next []Setting
		for _, s := range settings {
			for _, fn := range fns {
				t := s
				_ = fn(&t) // parsed once above
				next = append(next, t)
			}
		}
		settings = next
	}
	seen := map[string]bool{}
	var out []Setting
	for _, s := range settings {
		if err := s.encoderConfig().Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Label(), err))
			continue
		}
		if !seen[s.Label()] { // fps values above the input's collapse into one
			seen[s.Label()] = true
			out = append(out, s)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// parseRate reads "crf23" (or "crf=23") as constant quality and anything else
// as a bitrate (512k, 2M), capped at itself over one second (VBV).
func parseRate(v string, s *Setting) error {
	if q, ok := strings.CutPrefix(strings.ToLower(v), "crf"); ok {
		n, err := strconv.Atoi(strings.TrimPrefix(q, "="))
		if err != nil || n < 1 || n > 51 {
			return errors.New("expected crf1 … crf51")
		}
		s.Encoder.CRF, s.Encoder.Bitrate = n, 0
		return nil
	}
	br, err := conf.ParseBitrate(v)
	if err != nil {
		return errors.New("expected crf1 … crf51 (constant quality) or a bitrate such as 512k or 2M")
	}
	s.Encoder.Bitrate, s.Encoder.CRF = br, 0
	return nil
}

func knownAxis(name string) bool {
	for _, a := range Axes {
		if a.Name == name {
			return true
		}
	}
	return false
}

func axisNames() string {
	var names []string
	for _, a := range Axes {
		names = append(names, a.Name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
