package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestCheckWarnsOfATokenInClear: a read token on an API beyond this machine
// over plain HTTP is valid, and a warning that says what to do.
func TestCheckWarnsOfATokenInClear(t *testing.T) {
	dir := t.TempDir()
	for listen, warns := range map[string]bool{"0.0.0.0:19997": true, "127.0.0.1:19997": false} {
		cfg := dir + "/camgate.yml"
		os.WriteFile(cfg, []byte("api:\n  listen: "+listen+"\n  token: t0ken\n  read_token: r3ad\ncameras:\n  a:\n    url: rtsp://10.0.0.5/s1\n"), 0o600)
		var out, errb bytes.Buffer
		c := run([]string{"check", "-ports=false", "-c", cfg}, &out, &errb)
		got := strings.Count(errb.String(), "warning: api.read_token over plain HTTP on "+listen)
		if c != 0 || (warns && got != 1) || (!warns && strings.Contains(errb.String(), "warning: ")) {
			t.Errorf("api.listen %s: exit %d, stderr %q", listen, c, errb.String())
		}
		if strings.Contains(errb.String()+out.String(), "t0ken") || strings.Contains(errb.String()+out.String(), "r3ad") {
			t.Errorf("check shows a token:\n%s%s", out.String(), errb.String())
		}
	}
}

// TestCommandsUseTheReadToken: the commands that only read fall back to the
// read token.
func TestCommandsUseTheReadToken(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("CAMGATE_API_TOKEN", "")
	t.Setenv("CAMGATE_API_READ_TOKEN", "r3ad")
	var a apiFlags
	a.resolve()
	if a.token != "r3ad" {
		t.Errorf("token %q, want the read token", a.token)
	}
}
