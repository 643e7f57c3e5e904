package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/camgate/camgate/internal/certfile/certtest"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/webrtc/whepclient"
)

// printed waits until `camgate run` has printed a line matching re, and
// returns its first group.
func printed(t *testing.T, out, errb *syncBuffer, code chan int, re *regexp.Regexp) string {
	t.Helper()
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case c := <-code:
			t.Fatalf("camgate run ended with %d:\n%s", c, errb.String())
		default:
		}
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("camgate run printed no %v within %v:\nstdout: %s\nstderr: %s", re, patience, out.String(), errb.String())
	return ""
}

// TestTLS runs camgate with one certificate for the box: ffprobe reads the
// sub stream over rtsps://, curl reads an HLS playlist and the API over
// https:// with the certificate as its authority, a WHEP offer over https://
// is answered 201, plain HTTP to the HTTPS listeners is refused, and a
// renewed certificate is served by every listener without a restart.
func TestTLS(t *testing.T) {
	for _, tool := range []string{"ffprobe", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: make test-deps", tool)
		}
	}
	clip, err := fakecam.LoadClip("../../testdata/cam1080p25.h264")
	if err != nil {
		t.Fatal(err)
	}
	cam, err := fakecam.Start(fakecam.Config{Clip: clip})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	dir := t.TempDir()
	cert := certtest.Write(t, dir, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	cfg := filepath.Join(dir, "camgate.yml")
	os.WriteFile(cfg, []byte(`tls: {cert: `+cert.CertFile+`, key: `+cert.KeyFile+`}
rtsp: {listen: "127.0.0.1:0", rtsps_listen: "127.0.0.1:0", udp_rtp: "off"}
api: {listen: "127.0.0.1:0", token: t0ken}
webrtc: {listen: "127.0.0.1:0", ice_udp: "127.0.0.1:0", ice_tcp: "off"}
hls: {listen: "127.0.0.1:0"}
cameras:
  cam: {url: "`+cam.URL()+`"}
`), 0o600)

	var out, errb syncBuffer
	code := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { code <- runUntil(ctx, []string{"run", "-c", cfg}, &out, &errb) }()
	defer func() {
		cancel()
		<-code
	}()
	apiBase := printed(t, &out, &errb, code, regexp.MustCompile(`(?m)^dashboard (https://[^/\s]+)/$`))
	rtsps := printed(t, &out, &errb, code, regexp.MustCompile(`(?m)^stream (rtsps://\S+/cam/sub)$`))
	plain := printed(t, &out, &errb, code, regexp.MustCompile(`(?m)^stream (rtsp://\S+/cam/sub)$`))
	whep := printed(t, &out, &errb, code, regexp.MustCompile(`(?m)^webrtc (https://\S+/cam/sub/)$`))
	playlist := printed(t, &out, &errb, code, regexp.MustCompile(`(?m)^hls (https://\S+/cam/sub/index\.m3u8)$`))

	// RTSPS: ffprobe reads the sub stream (TCP: FFmpeg's rtsps is TCP only).
	var probe string
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		b, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", rtsps).Output()
		if probe = strings.TrimSpace(string(b)); err == nil && probe != "" {
			break
		}
	}
	if probe != "h264,640,360" {
		t.Errorf("ffprobe %s: %q, want h264,640,360\nstderr: %s", rtsps, probe, errb.String())
	}
	if b, err := exec.Command("ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-show_entries", "stream=codec_name", "-of", "csv=p=0", plain).Output(); err != nil || strings.TrimSpace(string(b)) != "h264" {
		t.Errorf("ffprobe %s (plain RTSP beside RTSPS): %q %v", plain, b, err)
	}

	// HTTPS: curl, with the certificate as its only authority.
	curl := func(args ...string) (string, error) {
		b, err := exec.Command("curl", append([]string{"-sS", "--max-time", "30", "--cacert", cert.CertFile}, args...)...).CombinedOutput()
		return string(b), err
	}
	var body string
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if body, err = curl("-f", playlist); err == nil {
			break
		}
	}
	if !strings.HasPrefix(body, "#EXTM3U") {
		t.Errorf("curl %s: %v %q, want a playlist", playlist, err, body)
	}
	body, err = curl("-f", "-H", "Authorization: Bearer t0ken", apiBase+"/v1/cameras")
	var cams []struct {
		Name string
		Live map[string]struct{ WHEP, HLS string }
	}
	if err != nil || json.Unmarshal([]byte(body), &cams) != nil || len(cams) != 1 || cams[0].Name != "cam" {
		t.Fatalf("curl %s/v1/cameras: %v %q", apiBase, err, body)
	}
	if l := cams[0].Live["sub"]; !strings.HasPrefix(l.WHEP, "https://") || !strings.HasPrefix(l.HLS, "https://") {
		t.Errorf("the API's live URLs over TLS listeners: %+v, want https://", l)
	}

	// Plain HTTP to an HTTPS listener: refused, nothing served.
	for _, u := range []string{playlist, apiBase + "/v1/cameras", whep} {
		plainURL := strings.Replace(u, "https://", "http://", 1)
		b, _ := exec.Command("curl", "-s", "--max-time", "30", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer t0ken", plainURL).Output()
		if string(b) != "400" {
			t.Errorf("plain HTTP %s: status %q, want 400 (an HTTP request to an HTTPS server)", plainURL, b)
		}
	}
	// Without the authority, curl refuses the server.
	if b, err := exec.Command("curl", "-sS", "--max-time", "30", playlist).CombinedOutput(); err == nil {
		t.Errorf("curl without --cacert trusted the test certificate: %s", b)
	}

	// WHEP over HTTPS: the offer is answered 201 and video arrives.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: cert.Pool()}}, Timeout: 30 * time.Second}
	wctx, wcancel := context.WithTimeout(context.Background(), patience)
	defer wcancel()
	viewer, err := whepclient.Dial(wctx, whep+"whep", whepclient.Options{HTTPClient: hc})
	if err != nil {
		t.Fatalf("WHEP over https: %v", err)
	}
	for deadline := time.Now().Add(patience); viewer.Stats().Frames < 10 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	if f := viewer.Stats().Frames; f < 10 {
		t.Errorf("WHEP over https: %d frames", f)
	}
	viewer.Close()

	// The commands that talk to camgate reach its API over HTTPS, trusting
	// the configured certificate.
	var hout, herr bytes.Buffer
	if c := run([]string{"health", "-c", cfg, "-api", strings.TrimPrefix(apiBase, "https://")}, &hout, &herr); c != 0 || hout.String() != "ok\n" {
		t.Errorf("camgate health over HTTPS: exit %d, %q %q", c, hout.String(), herr.String())
	}
	other := certtest.New(t)
	os.WriteFile(cfg+".other", []byte("api: {tls: {cert: "+other.CertFile+", key: "+other.KeyFile+"}}\n"), 0o600)
	if c := run([]string{"health", "-c", cfg + ".other", "-api", strings.TrimPrefix(apiBase, "https://")}, &hout, &herr); c == 0 || !strings.Contains(herr.String(), "serves another certificate") {
		t.Errorf("camgate health trusting another certificate: exit %d, %q", c, herr.String())
	}

	// A renewed certificate: every listener serves it, without a restart.
	renewed := certtest.Write(t, dir, time.Now().Add(-time.Hour), time.Now().Add(48*time.Hour))
	for _, u := range []string{apiBase, whep, playlist, rtsps} {
		host := regexp.MustCompile(`^\w+://([^/]+)`).FindStringSubmatch(u)[1]
		certtest.WaitServed(t, host, renewed.Serial)
	}
	if !strings.Contains(errb.String(), "TLS certificate reloaded") {
		t.Errorf("no log line for the reload:\n%s", errb.String())
	}
	if n := strings.Count(errb.String(), "TLS certificate reloaded"); n != 1 {
		t.Errorf("%d reload lines for one renewal of the certificate all listeners share, want 1", n)
	}
}

// runUntil runs the command until ctx ends, then stops it with SIGINT. The
// test binary ignores SIGINT meanwhile, so that a signal sent before camgate
// listens for it (a test failing early) does not end every test.
func runUntil(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ignore := make(chan os.Signal, 1)
	signal.Notify(ignore, os.Interrupt)
	defer signal.Stop(ignore)
	done := make(chan int, 1)
	go func() { done <- run(args, stdout, stderr) }()
	select {
	case c := <-done:
		return c
	case <-ctx.Done():
	}
	// Again until it ends: a signal that came before camgate listened for
	// it is lost.
	p, _ := os.FindProcess(os.Getpid())
	for {
		p.Signal(os.Interrupt)
		select {
		case c := <-done:
			return c
		case <-time.After(time.Second):
		}
	}
}

func TestCheckTLS(t *testing.T) {
	dir := t.TempDir()
	good := certtest.New(t)
	expired := certtest.Write(t, dir, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	check := func(yml string) (int, string) {
		cfg := filepath.Join(t.TempDir(), "camgate.yml")
		os.WriteFile(cfg, []byte(yml), 0o600)
		var out, errb bytes.Buffer
		return run([]string{"check", "-ports=false", "-c", cfg}, &out, &errb), errb.String()
	}
	for _, tc := range []struct {
		name, yml string
		code      int
		want      []string
	}{
		{"good", "tls: {cert: " + good.CertFile + ", key: " + good.KeyFile + "}\nrtsp: {encryption: strict}\nusers: [{name: nvr, password: long-random-secret, read: all}]\n", 0, nil},
		{"missing file", "api: {tls: {cert: /nonexistent/cert.pem, key: " + good.KeyFile + "}}\n", 1,
			[]string{"api: tls.cert: /nonexistent/cert.pem does not exist"}},
		{"key of another", "hls: {tls: {cert: " + good.CertFile + ", key: " + expired.KeyFile + "}}\n", 1,
			[]string{"hls: tls: the key in " + expired.KeyFile + " is not the key of the certificate"}},
		{"cert without key", "tls: {cert: " + good.CertFile + "}\n", 1, []string{"tls: a certificate (" + good.CertFile + ") without its key"}},
		{"strict without certificate", "rtsp: {encryption: strict}\n", 1, []string{"rtsp.encryption: strict needs a certificate"}},
		{"bad encryption", "tls: {cert: " + good.CertFile + ", key: " + good.KeyFile + "}\nrtsp: {encryption: yes}\n", 1, []string{`rtsp.encryption: "yes" is not no, optional`}},
		{"tls not a mapping", "tls: on\n", 1, []string{"tls is {cert: /path/cert.pem, key: /path/key.pem}, or off"}},
		{"expired", "tls: {cert: " + expired.CertFile + ", key: " + expired.KeyFile + "}\n", 0,
			[]string{"warning: tls: the certificate in " + expired.CertFile + " expired on"}},
		{"token in clear", "api: {listen: \"0.0.0.0:9997\", token: abc}\nwebrtc: {listen: \"off\"}\nhls: {listen: \"off\"}\n", 0,
			[]string{"warning: api.token over plain HTTP on 0.0.0.0:9997"}},
		{"readers in clear", "rtsp: {user: u, password: p}\nwebrtc: {listen: \"off\"}\n", 0,
			[]string{"warning: hls: the readers' credentials over plain HTTP on :8888", "warning: RTSP readers may log in with Basic, which sends the password in clear to :8554"}},
		{"mixed content", "api: {tls: {cert: " + good.CertFile + ", key: " + good.KeyFile + "}}\n", 0,
			[]string{"warning: webrtc serves plain HTTP but the dashboard HTTPS", "warning: hls serves plain HTTP"}},
	} {
		code, stderr := check(tc.yml)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d:\n%s", tc.name, code, tc.code, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.name, w, stderr)
			}
		}
		if tc.want == nil && strings.Contains(stderr, "warning") {
			t.Errorf("%s: a warning for a sound configuration:\n%s", tc.name, stderr)
		}
	}
}
