package api

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp/rtsptest"
)

// credFixture runs one camera, front-door, at a fake camera that records
// the credentials it is sent, with its user and password from the
// environment, behind a gateway and the API.
type credFixture struct {
	*fixture
	camA, camB *rtsptest.AuthRecorder
}

const envSecret = "env-s3cret"

func newCredFixture(t *testing.T) *credFixture {
	t.Setenv("CAMGATE_CAMERA_FRONT_DOOR_USER", "admin")
	t.Setenv("CAMGATE_CAMERA_FRONT_DOOR_PASSWORD", envSecret)
	cf := &credFixture{fixture: &fixture{t: t, logs: &syncBuffer{}}}
	cf.camA = rtsptest.StartAuthRecorder(t, "")
	cf.camB = rtsptest.StartAuthRecorder(t, "")
	cf.path = filepath.Join(t.TempDir(), "camgate.yml")
	yml := fmt.Sprintf("rtsp:\n  listen: 127.0.0.1:0\n  udp_rtp: off\ncameras:\n  front-door:\n    url: %s\n    backoff: {min: 50ms, max: 200ms}\n", cf.camA.URL("s1"))
	if err := os.WriteFile(cf.path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	if cf.doc, err = conf.LoadDocument(cf.path); err != nil {
		t.Fatal(err)
	}
	f, err := cf.doc.Parse()
	if err != nil {
		t.Fatal(err)
	}
	log := zerolog.New(cf.logs)
	if cf.gw, err = pipeline.StartGateway(f.Config, log); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cf.gw.Close() })
	cf.base = cf.serve(Config{Token: token})
	return cf
}

// passwordsSeen waits until rec has seen n connections end (each a whole
// exchange, from OPTIONS to the client giving up), then returns every
// user:password sent to it, and the Authorization headers that were not
// Basic.
func passwordsSeen(t *testing.T, rec *rtsptest.AuthRecorder, n int) (basic, other []string) {
	t.Helper()
	if !eventually(func() bool { _, closed := rec.Requests(); return closed >= n }) {
		t.Fatalf("the fake camera at %s saw fewer than %d sessions within %v", rec.Addr(), n, patience)
	}
	reqs, _ := rec.Requests()
	for _, r := range reqs {
		if u, p, ok := r.BasicPassword(); ok {
			basic = append(basic, u+":"+p)
		} else if r.Authorization != "" {
			other = append(other, r.Authorization)
		}
	}
	return basic, other
}

// TestPutElsewhereCarriesNoStoredCredentials: a camera's password from the
// environment goes to its own host only. PUT pointing the camera at another
// host sends that host no credentials, now or after a restart; credentials
// given in the request go with it.
func TestPutElsewhereCarriesNoStoredCredentials(t *testing.T) {
	cf := newCredFixture(t)
	basic, _ := passwordsSeen(t, cf.camA, 1)
	if !contains(basic, "admin:"+envSecret) {
		t.Fatalf("the camera's own host got %q, want admin:%s from the environment", basic, envSecret)
	}

	put := fmt.Sprintf(`{"url": %q, "backoff": {"min": "50ms", "max": "200ms"}}`, cf.camB.URL("x"))
	if code, body := cf.do("PUT", "/v1/cameras/front-door", put); code != 200 {
		t.Fatalf("PUT elsewhere: %d %s", code, body)
	}
	basic, other := passwordsSeen(t, cf.camB, 2)
	if len(basic)+len(other) != 0 {
		t.Errorf("the other host received credentials: %q %q", basic, other)
	}
	saved, _ := os.ReadFile(cf.path)
	if !regexp.MustCompile(`env_credentials"?: false`).Match(saved) {
		t.Errorf("the saved file does not keep the environment's credentials off:\n%s", saved)
	}
	if f, err := conf.Load(cf.path); err != nil || strings.Contains(f.Cameras[0].URL, envSecret) {
		t.Errorf("after a restart, front-door's URL would be %v (err %v): the environment's password must not be in it", f.Cameras[0].URL, err)
	}
	// The API says what the other host answered: an RTSP status.
	var cam cameraView
	if !eventually(func() bool {
		code, body := cf.do("GET", "/v1/cameras/front-door", "")
		return code == 200 && json.Unmarshal(body, &cam) == nil && strings.Contains(cam.LastError, "401")
	}) {
		t.Errorf("last_error %q, want the other host's 401", cam.LastError)
	}

	// Credentials given in the request go to the host of the request.
	_, before := cf.camB.Requests()
	put = fmt.Sprintf(`{"url": %q, "user": "bob", "password": "given", "backoff": {"min": "50ms", "max": "200ms"}}`, cf.camB.URL("x"))
	if code, body := cf.do("PUT", "/v1/cameras/front-door", put); code != 200 {
		t.Fatalf("PUT elsewhere with credentials: %d %s", code, body)
	}
	basic, _ = passwordsSeen(t, cf.camB, before+2)
	if !contains(basic, "bob:given") || contains(basic, "admin:"+envSecret) {
		t.Errorf("the other host received %q, want bob:given and never the environment's password", basic)
	}
	// A client cannot switch the environment's credentials back on for
	// another host.
	put = fmt.Sprintf(`{"url": %q, "env_credentials": true}`, cf.camB.URL("y"))
	if code, body := cf.do("PUT", "/v1/cameras/front-door", put); code != 200 {
		t.Fatalf("PUT with env_credentials: true: %d %s", code, body)
	}
	_, before = cf.camB.Requests()
	basic, _ = passwordsSeen(t, cf.camB, before+2)
	if contains(basic, "admin:"+envSecret) {
		t.Errorf("env_credentials: true from the API sent the environment's password elsewhere: %q", basic)
	}
	if strings.Contains(cf.logs.String(), envSecret) {
		t.Error("the logs show the environment's password")
	}
}

// TestAPIRefusesPasswordFile: an API client cannot make camgate read a file
// and send it as a password.
func TestAPIRefusesPasswordFile(t *testing.T) {
	cf := newCredFixture(t)
	secretFile := filepath.Join(t.TempDir(), "camgate.env")
	if err := os.WriteFile(secretFile, []byte("CAMGATE_API_TOKEN=do-not-send\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(cf.path)
	_, sessionsB := cf.camB.Requests()
	for _, tc := range [][3]string{
		{"POST", "/v1/cameras", fmt.Sprintf(`{"name": "x", "url": %q, "user": "a", "password_file": %q}`, cf.camB.URL("x"), secretFile)},
		{"PUT", "/v1/cameras/front-door", fmt.Sprintf(`{"url": %q, "user": "a", "password_file": %q}`, cf.camB.URL("x"), secretFile)},
	} {
		code, body := cf.do(tc[0], tc[1], tc[2])
		if code != 400 || !strings.Contains(string(body), "password_file") {
			t.Errorf("%s %s with password_file: %d %s, want 400 naming password_file", tc[0], tc[1], code, body)
		}
	}
	if after, _ := os.ReadFile(cf.path); string(after) != string(before) {
		t.Errorf("a refused request changed the file:\n%s", after)
	}
	if reqs, closed := cf.camB.Requests(); len(reqs) != 0 || closed != sessionsB {
		t.Errorf("the other host was contacted: %+v", reqs)
	}
}

// TestLastErrorIsNoPortScanner: a camera pointed at a closed port and one
// pointed at a port that is not RTSP read the same in the API; the log
// keeps the detail.
func TestLastErrorIsNoPortScanner(t *testing.T) {
	cf := newCredFixture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().String()
	ln.Close()
	notRTSP, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer notRTSP.Close()
	go func() { // a service with a banner, as SSH would have
		for {
			c, err := notRTSP.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"))
			c.Close()
		}
	}()
	for _, target := range []string{closedPort, notRTSP.Addr().String()} {
		put := fmt.Sprintf(`{"url": "rtsp://%s/x", "backoff": {"min": "50ms", "max": "200ms"}}`, target)
		if code, body := cf.do("PUT", "/v1/cameras/front-door", put); code != 200 {
			t.Fatalf("PUT: %d %s", code, body)
		}
		var cam cameraView
		eventually(func() bool {
			code, body := cf.do("GET", "/v1/cameras/front-door", "")
			return code == 200 && json.Unmarshal(body, &cam) == nil && cam.LastError != "" && strings.Contains(cam.URL, target)
		})
		want := "no RTSP camera answered at " + target + " (not reachable, or not an RTSP server); camgate's log has the details"
		if cam.LastError != want {
			t.Errorf("camera at %s: last_error %q, want %q", target, cam.LastError, want)
		}
	}
	if !strings.Contains(cf.logs.String(), "refused") {
		t.Error("the log does not keep the network error for the operator")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
