package conf

import (
	"os"
	"strings"
	"testing"
)

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
	f, err := Parse([]byte(`
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
	if f.RTSP.Address != ":9554" || f.API.Token != "envtoken" || f.Log.Level != "debug" {
		t.Errorf("env overrides not applied: rtsp %q token %q level %q", f.RTSP.Address, f.API.Token, f.Log.Level)
	}
	if got := f.Cameras[0].URL; got != "rtsp://admin:envpass@10.0.0.5/s1" {
		t.Errorf("front-door URL %q: password from CAMGATE_CAMERA_FRONT_DOOR_PASSWORD expected", got)
	}
	if got := f.Cameras[1].URL; got != "rtsp://viewer:fromfile@10.0.0.6/s1" {
		t.Errorf("back URL %q: password from password_file expected", got)
	}
	if _, err := Parse([]byte("cameras:\n  x:\n    url: rtsp://h/s\n    password_file: /nonexistent/pw\n")); err == nil || !strings.Contains(err.Error(), "line 4: password_file") {
		t.Errorf("missing password file: %v", err)
	}
	if EnvName("front-door.2") != "FRONT_DOOR_2" {
		t.Errorf("EnvName = %q", EnvName("front-door.2"))
	}
}
