package pipeline

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/camgate/camgate/rtsp"
)

func TestExampleConfig(t *testing.T) {
	f, err := LoadFile("../camgate.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	if f.RTSP.Address != ":8554" || f.RTSP.UDPRTPAddress != ":8000" || f.LogLevel != "info" {
		t.Errorf("rtsp/log: %+v %q", f.RTSP, f.LogLevel)
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
		_, err := ParseConfig([]byte(tc.yaml))
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
	f, err := ParseConfig(nil)
	if err != nil || len(f.Cameras) != 0 || f.RTSP.Address != ":8554" {
		t.Errorf("empty file: %+v, %v", f, err)
	}
}

func TestParseHelpers(t *testing.T) {
	for in, want := range map[string]int{"512k": 512_000, "2M": 2_000_000, "2.5M": 2_500_000, "800000": 800_000} {
		if got, err := ParseBitrate(in); err != nil || got != want {
			t.Errorf("ParseBitrate(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "fast", "-1k", "0"} {
		if _, err := ParseBitrate(bad); err == nil {
			t.Errorf("ParseBitrate(%q) accepted", bad)
		}
	}
	if w, h, err := ParseSize("1280x720"); err != nil || w != 1280 || h != 720 {
		t.Errorf("ParseSize: %d %d %v", w, h, err)
	}
	d := Backoff{Min: 500 * time.Millisecond, Max: 30 * time.Second}
	for i := 0; i < 100; i++ {
		if v := d.Delay(0); v < 500*time.Millisecond || v > time.Second {
			t.Fatalf("first retry after %v, want 0.5–1 s", v)
		}
		if v := d.Delay(20); v != 30*time.Second {
			t.Fatalf("retry 20 after %v, want the 30 s cap", v)
		}
		if v := d.Delay(3); v < 4*time.Second || v > 8*time.Second {
			t.Fatalf("retry 3 after %v, want 4–8 s", v)
		}
	}
}

func TestEnvOverridesAndSecrets(t *testing.T) {
	dir := t.TempDir()
	pw := dir + "/cam.pw"
	if err := os.WriteFile(pw, []byte("fromfile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CAMGATE_RTSP_LISTEN", ":9554")
	t.Setenv("CAMGATE_API_TOKEN", "envtoken")
	t.Setenv("CAMGATE_CAMERA_FRONT_DOOR_PASSWORD", "envpass")
	t.Setenv("CAMGATE_LOG_LEVEL", "debug")
	f, err := ParseConfig([]byte(`
rtsp:
  listen: ":8554"
cameras:
  front-door:
    url: rtsp://admin@10.0.0.5/s1
  back:
    url: rtsp://10.0.0.6/s1
    user: viewer
    password_file: ` + pw + `
`))
	if err != nil {
		t.Fatal(err)
	}
	if f.RTSP.Address != ":9554" || f.API.Token != "envtoken" || f.LogLevel != "debug" {
		t.Errorf("env overrides not applied: rtsp %q token %q level %q", f.RTSP.Address, f.API.Token, f.LogLevel)
	}
	if got := f.Cameras[0].URL; got != "rtsp://admin:envpass@10.0.0.5/s1" {
		t.Errorf("front-door URL %q: password from CAMGATE_CAMERA_FRONT_DOOR_PASSWORD expected", got)
	}
	if got := f.Cameras[1].URL; got != "rtsp://viewer:fromfile@10.0.0.6/s1" {
		t.Errorf("back URL %q: password from password_file expected", got)
	}
	if _, err := ParseConfig([]byte("cameras:\n  x:\n    url: rtsp://h/s\n    password_file: /nonexistent/pw\n")); err == nil || !strings.Contains(err.Error(), "line 4: password_file") {
		t.Errorf("missing password file: %v", err)
	}
	if EnvName("front-door.2") != "FRONT_DOOR_2" {
		t.Errorf("EnvName = %q", EnvName("front-door.2"))
	}
}

func TestDisabledCamera(t *testing.T) {
	f, err := ParseConfig([]byte("cameras:\n  a: {url: rtsp://h/a}\n  b: {url: rtsp://h/b, enabled: false}\ngrids:\n  g: {cameras: [a, b]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Cameras) != 1 || f.Cameras[0].Name != "a" || len(f.Disabled) != 1 || f.Disabled[0] != "b" {
		t.Errorf("cameras %v, disabled %v", f.Cameras, f.Disabled)
	}
	if err := validateConfig(f.Config); err != nil {
		t.Errorf("a grid with a disabled camera: %v", err)
	}
}
