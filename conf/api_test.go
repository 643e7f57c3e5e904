package conf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAPITokensAndHosts(t *testing.T) {
	dir := t.TempDir()
	rt := filepath.Join(dir, "read.token")
	if err := os.WriteFile(rt, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Parse([]byte("api:\n  token: admin\n  read_token_file: " + rt + "\n  hosts: [NVR.lan., camgate.example.com]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.API.Token != "admin" || f.API.ReadToken != "from-file" || strings.Join(f.API.Hosts, ",") != "nvr.lan,camgate.example.com" {
		t.Errorf("api: %+v", f.API)
	}
	t.Setenv("CAMGATE_API_READ_TOKEN", "env-read")
	t.Setenv("CAMGATE_API_HOSTS", "a.lan,b.lan")
	if f, err := Parse([]byte("api:\n  token: admin\n")); err != nil || f.API.ReadToken != "env-read" || len(f.API.Hosts) != 2 {
		t.Errorf("env: %+v %v", f, err)
	}
	for yml, mention := range map[string]string{
		"api:\n  read_token: r\n":                         "needs api.token",
		"api:\n  token: same\n  read_token: same\n":       "same as api.token",
		"api:\n  token: t\n  hosts: [\"http://x.lan\"]\n": "api.hosts",
		"api:\n  token: t\n  hosts: [\"x.lan:9997\"]\n":   "api.hosts",
		"api:\n  token: t\n  hosts: [\"*\"]\n":            "api.hosts",
	} {
		t.Setenv("CAMGATE_API_READ_TOKEN", "")
		t.Setenv("CAMGATE_API_HOSTS", "")
		if _, err := Parse([]byte(yml)); err == nil || !strings.Contains(err.Error(), mention) {
			t.Errorf("%q: %v, want an error mentioning %q", yml, err, mention)
		}
	}
}

func TestAPIWarnings(t *testing.T) {
	for _, tc := range []struct {
		api   APIConfig
		https bool
		warns int
	}{
		{APIConfig{Listen: "127.0.0.1:9997", Token: "t"}, false, 0},
		{APIConfig{Listen: "localhost:9997", Token: "t", ReadToken: "r"}, false, 0},
		{APIConfig{Listen: "[::1]:9997", Token: "t"}, false, 0},
		{APIConfig{Listen: ":9997", Token: "t", ReadToken: "r"}, false, 1},
		{APIConfig{Listen: "0.0.0.0:9997", Token: "t", ReadToken: "r"}, false, 1},
		{APIConfig{Listen: "0.0.0.0:9997", Token: "t"}, false, 0}, // the admin token's warning is cmd/camgate's
		{APIConfig{Listen: "192.168.1.2:9997", Token: "t", ReadToken: "r"}, true, 0},
		{APIConfig{Listen: APIOff, Token: "t"}, false, 0},
	} {
		w := tc.api.Warnings(tc.https)
		if len(w) != tc.warns {
			t.Errorf("%+v https=%v: %q, want %d warnings", tc.api, tc.https, w, tc.warns)
		}
		for _, s := range w {
			if !strings.Contains(s, "api.read_token") || !strings.Contains(s, "tls") || !strings.Contains(s, tc.api.Listen) {
				t.Errorf("warning %q does not say where and what to do", s)
			}
		}
	}
}

// TestEnvCredentialsOff: env_credentials: false keeps the environment's user
// and password off the camera's URL; its URL variable still applies.
func TestEnvCredentialsOff(t *testing.T) {
	t.Setenv("CAMGATE_CAMERA_CAM_USER", "admin")
	t.Setenv("CAMGATE_CAMERA_CAM_PASSWORD", "envpass")
	f, err := Parse([]byte("cameras:\n  cam:\n    url: rtsp://10.0.0.9/s\n    env_credentials: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Cameras[0].URL; got != "rtsp://10.0.0.9/s" {
		t.Errorf("URL %q: the environment's credentials are off", got)
	}
	f, err = Parse([]byte("cameras:\n  cam:\n    url: rtsp://10.0.0.9/s\n    env_credentials: false\n    user: given\n    password: here\n"))
	if err != nil || f.Cameras[0].URL != "rtsp://given:here@10.0.0.9/s" {
		t.Errorf("the section's own credentials: %v %v", f, err)
	}
	if !HasEnvCredentials("cam") || HasEnvCredentials("other") {
		t.Error("HasEnvCredentials")
	}
	for raw, want := range map[string]string{
		"rtsp://u:p@Cam.LAN/x": "cam.lan:554", "rtsps://h/x": "h:322", "rtsp://[fe80::1]:8554/x": "[fe80::1]:8554", "rtsp:///x": "", "::": "",
	} {
		if got := HostPort(raw); got != want {
			t.Errorf("HostPort(%q) = %q, want %q", raw, got, want)
		}
	}
}
