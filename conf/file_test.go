package conf

import (
	"strings"
	"testing"
	"time"

	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
)

func TestExampleConfig(t *testing.T) {
	f, err := Load("../camgate.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	if f.RTSP.Address != ":8554" || f.RTSP.UDPRTPAddress != ":8000" || f.Log.Level != "info" {
		t.Errorf("rtsp/log: %+v %q", f.RTSP, f.Log.Level)
	}
	if len(f.Cameras) != 3 {
		t.Fatalf("%d cameras, want 3", len(f.Cameras))
	}
	front, yard, garage := f.Cameras[0], f.Cameras[1], f.Cameras[2]
	if front.Name != "front-door" || yard.Name != "yard" || garage.Name != "garage" {
		t.Errorf("names (in file order): %s %s %s", front.Name, yard.Name, garage.Name)
	}
	if front.Transport != rtsp.TransportTCP || front.StallTimeout != 5*time.Second || front.Backoff.Max != 30*time.Second {
		t.Errorf("front-door inherits defaults: %+v", front)
	}
	if s := front.Sub; !s.Enabled || s.Width != 640 || s.Height != 360 || s.FPS != 10 || s.Encoder.Bitrate != 512_000 || s.Encoder.Preset != "veryfast" {
		t.Errorf("front-door sub: %+v", s)
	}
	if s := yard.Sub; yard.Transport != rtsp.TransportUDP || s.Width != 480 || s.Height != 270 || s.FPS != 5 || s.Encoder.Bitrate != 300_000 || s.Encoder.Preset != "veryfast" {
		t.Errorf("yard: transport %v sub %+v", yard.Transport, s)
	}
	if garage.Sub.Enabled || !garage.Main.Transcode || garage.Main.Output.Width != 1280 || garage.Main.Output.Encoder.Bitrate != 2_000_000 {
		t.Errorf("garage: %+v", garage)
	}
}

func TestConfigFileErrors(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want []string
	}{
		{"rtsp:\n  lisen: :8554\n", []string{"lisen"}},
		{"cameras:\n  a:\n    url: rtsp://x/y\n    sub:\n      size: 640by360\n", []string{"camera a", "size", "640by360"}},
		{"cameras:\n  a:\n    url: rtsp://x/y\n    colour: red\n", []string{"camera a", "colour"}},
		{"cameras:\n  a:\n    url: rtsp://x/y\n    main: mirror\n", []string{"mirror"}},
		{"cameras:\n  a:\n    url: rtsp://x/y\n    stall_timeout: soon\n", []string{"stall_timeout", "soon"}},
		{"cameras:\n  a:\n    sub: {fps: 500}\n  b:\n    url: rtsp://x/y\n    sub: {bitrate: fast}\n", []string{"camera a", "url: missing", "fps 500", "camera b", "bitrate"}},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil {
			t.Errorf("accepted:\n%s", tc.yaml)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error for\n%s\n= %q, does not mention %q", tc.yaml, err, w)
			}
		}
	}
	f, err := Parse(nil)
	if err != nil || len(f.Cameras) != 0 || f.RTSP.Address != ":8554" {
		t.Errorf("empty file: %+v, %v", f, err)
	}
}

func TestDisabledCamera(t *testing.T) {
	f, err := Parse([]byte("cameras:\n  a: {url: rtsp://h/a}\n  b: {url: rtsp://h/b, enabled: false}\ngrids:\n  g: {cameras: [a, b]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Cameras) != 1 || f.Cameras[0].Name != "a" || len(f.Disabled) != 1 || f.Disabled[0] != "b" {
		t.Errorf("cameras %v, disabled %v", f.Cameras, f.Disabled)
	}
	if err := f.Config.Validate(); err != nil {
		t.Errorf("a grid with a disabled camera: %v", err)
	}
}

func TestGridConfigErrors(t *testing.T) {
	_, err := Parse([]byte(`
cameras:
  a: {url: "rtsp://x/a"}
grids:
  g1: {cameras: [a, ghost]}
  g2: {cameras: [a], layout: 3by3}
  g3: {cameras: [a], fit: squeeze}
`))
	for _, want := range []string{`grid g1`, `"ghost" does not exist`, `grid g2`, "layout", `grid g3`, "squeeze"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
	f, err := Parse([]byte(`
cameras:
  a: {url: "rtsp://x/a"}
  b: {url: "rtsp://x/b"}
grids:
  lobby: {cameras: [a, b], layout: 3x1, size: 960x320, fps: 10, fit: crop, bitrate: 1M}
`))
	if err != nil {
		t.Fatal(err)
	}
	g := f.Grids[0]
	if g.Name != "lobby" || g.Cols != 3 || g.Rows != 1 || g.Fit != pipeline.FitCrop || g.Output.Width != 960 || g.Output.FPS != 10 || g.Output.Encoder.Bitrate != 1_000_000 {
		t.Errorf("grid %+v", g)
	}
}
