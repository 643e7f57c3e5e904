package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/internal/testaddr"
	"github.com/camgate/camgate/internal/viewers"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/webrtc/whepclient"
)

// readersGateway is camgate run with a configuration, in process: the RTSP,
// WebRTC and HLS listeners on every interface, so that clients can come
// from a non-loopback address of this machine.
type readersGateway struct {
	gw                  *pipeline.Gateway
	rtspPort            int
	webrtc, hls, api    string // host:port, on 127.0.0.1
	webrtcPort, hlsPort int
	log                 *syncBuffer
}

// startReadersGateway runs two cameras, cam1 and cam2 (one fake camera,
// passthrough, no sub), with the given extra configuration.
func startReadersGateway(t *testing.T, extra string) *readersGateway {
	return startReadersGatewayRTSP(t, "", extra)
}

// startReadersGatewayRTSP is startReadersGateway with more settings of the
// rtsp section (", auth_methods: [digest]").
func startReadersGatewayRTSP(t *testing.T, rtspExtra, extra string) *readersGateway {
	t.Helper()
	clip, err := demo.Clip(320, 180, 25, 2, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	fake, err := fakecam.Start(fakecam.Config{Clip: clip})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	path := t.TempDir() + "/camgate.yml"
	text := `rtsp: {listen: "0.0.0.0:0", udp_rtp: off` + rtspExtra + `}
api: {listen: "127.0.0.1:0"}
webrtc: {listen: "0.0.0.0:0", ice_udp: "127.0.0.1:0", ice_tcp: off}
hls: {listen: "0.0.0.0:0"}
cameras:
  cam1: {url: "` + fake.URL() + `", sub: off}
  cam2: {url: "` + fake.URL() + `", sub: off}
` + extra
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err := conf.LoadDocument(path)
	if err != nil {
		t.Fatal(err)
	}
	file, err := doc.Parse()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	gw, browsers, srv, err := startGateway(file, doc, zerolog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(gw, browsers, srv, zerolog.Nop()) })
	for _, name := range []string{"cam1", "cam2"} {
		deadline := time.Now().Add(patience)
		for gw.Camera(name).Stats().State != pipeline.StateReady {
			if time.Now().After(deadline) {
				t.Fatalf("%s not ready within %v", name, patience)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	port := func(a net.Addr) int { return a.(*net.TCPAddr).Port }
	g := &readersGateway{gw: gw, rtspPort: port(gw.Server().Addr()), webrtcPort: port(browsers.webrtc.Addr()), hlsPort: port(browsers.hls.Addr()), log: logs}
	g.webrtc = "127.0.0.1:" + strconv.Itoa(g.webrtcPort)
	g.hls = "127.0.0.1:" + strconv.Itoa(g.hlsPort)
	g.api = srv.Addr().String()
	return g
}

func (g *readersGateway) rtspURL(host netip.Addr, userinfo, path string) string {
	if userinfo != "" {
		userinfo += "@"
	}
	return "rtsp://" + userinfo + net.JoinHostPort(host.String(), strconv.Itoa(g.rtspPort)) + "/" + path
}

// rtspDescribe sends one DESCRIBE from the address from, with the given
// Authorization header ("" for none), and returns the status code and the
// response's header lines.
func rtspDescribe(t *testing.T, from, to netip.Addr, port int, path, authorization string) (int, string) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: from.AsSlice()}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", net.JoinHostPort(to.String(), strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(patience))
	req := fmt.Sprintf("DESCRIBE rtsp://%s/%s RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n", net.JoinHostPort(to.String(), strconv.Itoa(port)), path)
	if authorization != "" {
		req += "Authorization: " + authorization + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	status, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("DESCRIBE %s: %v", path, err)
	}
	f := strings.Fields(status)
	if len(f) < 2 {
		t.Fatalf("DESCRIBE %s: status line %q", path, status)
	}
	code, _ := strconv.Atoi(f[1])
	var head strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil || line == "\r\n" {
			break
		}
		head.WriteString(line)
	}
	return code, head.String()
}

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// httpFrom is an HTTP client whose connections come from the address from.
func httpFrom(from netip.Addr) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: from.AsSlice()}, Timeout: 10 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}, Timeout: patience}
}

// httpStatus sends a request from the address from and returns its status
// code, Retry-After and body.
func httpStatus(t *testing.T, from netip.Addr, method, url, user, pass, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	if method == "POST" {
		req.Header.Set("Content-Type", "application/sdp")
	}
	res, err := httpFrom(from).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	return res.StatusCode, res.Header.Get("Retry-After"), string(b)
}

func ffprobe(url string) (string, error) {
	out, err := exec.Command("ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", url).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

var loopback = netip.MustParseAddr("127.0.0.1")

// TestAnonymousReadersFromAnotherMachine: with no users configured (the
// default, today's demo), a reader on this machine reads without
// credentials, and one from another address is refused, over RTSP, HLS and
// WHEP; anonymous: read opens them, in so many words.
func TestAnonymousReadersFromAnotherMachine(t *testing.T) {
	far := testaddr.NonLoopback(t, "10.211.7.1")[0]
	g := startReadersGateway(t, "")

	if got, err := ffprobe(g.rtspURL(loopback, "", "cam1/main")); err != nil || got != "h264,320,180" {
		t.Fatalf("a local anonymous reader: %q %v", got, err)
	}
	if code, head := rtspDescribe(t, far, far, g.rtspPort, "cam1/main", ""); code != 401 || !strings.Contains(head, "WWW-Authenticate") {
		t.Errorf("RTSP from %v without credentials: %d, want 401 with a challenge\n%s", far, code, head)
	}
	if got, err := ffprobe(g.rtspURL(far, "", "cam1/main")); err == nil || !strings.Contains(got, "401") {
		t.Errorf("ffprobe from %v without credentials: %q %v, want 401", far, got, err)
	}
	hls := func(host netip.Addr) string {
		return "http://" + net.JoinHostPort(host.String(), strconv.Itoa(g.hlsPort)) + "/cam1/main/index.m3u8"
	}
	whep := func(host netip.Addr) string {
		return "http://" + net.JoinHostPort(host.String(), strconv.Itoa(g.webrtcPort)) + "/cam1/main/whep"
	}
	if code, _, body := httpStatus(t, far, "GET", hls(far), "", "", ""); code != 401 {
		t.Errorf("HLS from %v without credentials: %d %s", far, code, body)
	}
	if code, _, body := httpStatus(t, far, "POST", whep(far), "", "", "v=0\r\n"); code != 401 {
		t.Errorf("WHEP from %v without credentials: %d %s", far, code, body)
	}
	if code, _, body := httpStatus(t, loopback, "GET", hls(loopback), "", "", ""); code != 200 || !strings.HasPrefix(body, "#EXTM3U") {
		t.Errorf("HLS from this machine: %d %s", code, body)
	}
	// X-Forwarded-For does not make a remote client local.
	req, _ := http.NewRequest("GET", hls(far), nil)
	req.Header.Set("X-Forwarded-For", "127.0.0.1")
	if res, err := httpFrom(far).Do(req); err != nil || res.StatusCode != 401 {
		t.Errorf("HLS from %v claiming 127.0.0.1: %v %v", far, res.StatusCode, err)
	}
	if st := g.gw.Server().Auth().Stats(); st.Failures != 0 {
		t.Errorf("readers without credentials counted as failed logins: %+v", st)
	}

	open := startReadersGateway(t, "anonymous: read\n")
	if got, err := ffprobe(open.rtspURL(far, "", "cam2/main")); err != nil || got != "h264,320,180" {
		t.Errorf("anonymous: read, ffprobe from %v: %q %v", far, got, err)
	}
	if code, _, body := httpStatus(t, far, "GET", "http://"+net.JoinHostPort(far.String(), strconv.Itoa(open.hlsPort))+"/cam2/main/index.m3u8", "", "", ""); code != 200 {
		t.Errorf("anonymous: read, HLS from %v: %d %s", far, code, body)
	}
}

// TestUsersHashesAndPermissions: argon2id and bcrypt hashed passwords log
// in (ffprobe with user:pass@, over Basic, from another machine); a user
// who may read cam1 reads it and is refused cam2, over RTSP, HLS and WHEP.
func TestUsersHashesAndPermissions(t *testing.T) {
	far := testaddr.NonLoopback(t, "10.211.7.2")[0]
	argon, err := viewers.HashPassword("argon pw")
	if err != nil {
		t.Fatal(err)
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("bcrypt-pw"), 6)
	if err != nil {
		t.Fatal(err)
	}
	g := startReadersGateway(t, `users:
  - {name: argon, password_hash: "`+argon+`", read: all}
  - {name: bc, password_hash: "`+string(bc)+`", read: all}
  - {name: alice, password: alicepw, read: [cam1]}
`)
	for _, c := range []struct{ userinfo, path string }{{"argon:argon%20pw", "cam1/main"}, {"bc:bcrypt-pw", "cam2/main"}, {"alice:alicepw", "cam1/main"}} {
		if got, err := ffprobe(g.rtspURL(far, c.userinfo, c.path)); err != nil || got != "h264,320,180" {
			t.Errorf("ffprobe as %s from %v: %q %v", strings.Split(c.userinfo, ":")[0], far, got, err)
		}
	}
	if got, err := ffprobe(g.rtspURL(far, "argon:wrong", "cam1/main")); err == nil {
		t.Errorf("a wrong password for a hashed user was accepted: %q", got)
	}
	// Users configured: a local reader proves who it is too.
	if code, _ := rtspDescribe(t, loopback, loopback, g.rtspPort, "cam1/main", ""); code != 401 {
		t.Errorf("a local anonymous reader with users configured: %d, want 401", code)
	}
	// alice: cam1 yes, cam2 no.
	if code, _ := rtspDescribe(t, far, far, g.rtspPort, "cam2/main", basicAuth("alice", "alicepw")); code != 403 {
		t.Errorf("RTSP: alice on cam2: %d, want 403", code)
	}
	if got, err := ffprobe(g.rtspURL(far, "alice:alicepw", "cam2/main")); err == nil || !strings.Contains(got, "403") {
		t.Errorf("ffprobe as alice on cam2: %q %v, want 403", got, err)
	}
	hls := "http://" + net.JoinHostPort(far.String(), strconv.Itoa(g.hlsPort))
	if code, _, body := httpStatus(t, far, "GET", hls+"/cam1/main/index.m3u8", "alice", "alicepw", ""); code != 200 || !strings.HasPrefix(body, "#EXTM3U") {
		t.Errorf("HLS: alice on cam1: %d %s", code, body)
	}
	if code, _, body := httpStatus(t, far, "GET", hls+"/cam2/main/index.m3u8", "alice", "alicepw", ""); code != 403 {
		t.Errorf("HLS: alice on cam2: %d %s", code, body)
	}
	if code, _, body := httpStatus(t, far, "GET", hls+"/cam2/main/index.m3u8", "bc", "bcrypt-pw", ""); code != 200 {
		t.Errorf("HLS: bc (bcrypt) on cam2: %d %s", code, body)
	}
	whep := "http://" + net.JoinHostPort(far.String(), strconv.Itoa(g.webrtcPort))
	if code, _, body := httpStatus(t, far, "POST", whep+"/cam2/main/whep", "alice", "alicepw", "v=0\r\n"); code != 403 {
		t.Errorf("WHEP: alice on cam2: %d %s", code, body)
	}
	h := http.Header{}
	h.Set("Authorization", basicAuth("alice", "alicepw"))
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	cl, err := whepclient.Dial(ctx, "http://"+g.webrtc+"/cam1/main/whep", whepclient.Options{Header: h})
	if err != nil {
		t.Fatalf("WHEP: alice on cam1: %v", err)
	}
	defer cl.Close()
	for deadline := time.Now().Add(patience); cl.Stats().Frames == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("WHEP: alice on cam1: no frame")
		}
	}
	if st := g.gw.Server().Auth().Stats(); st.Failures != 1 {
		t.Errorf("failed logins %d, want 1 (argon:wrong; refused permissions are not failed logins)", st.Failures)
	}
}

// TestRTSPDigestOnly: with auth_methods [digest], a DESCRIBE with the right
// password over Basic is refused (the password travelled in clear: never
// accepted), the challenge offers Digest only, and ffprobe logs in with
// Digest.
func TestRTSPDigestOnly(t *testing.T) {
	g := startReadersGatewayRTSP(t, ", auth_methods: [digest]", "users: [{name: viewer, password: s3cret, read: all}]\n")
	code, head := rtspDescribe(t, loopback, loopback, g.rtspPort, "cam1/main", basicAuth("viewer", "s3cret"))
	if code != 401 {
		t.Errorf("Basic with the right password, Digest only: %d, want 401", code)
	}
	code, head = rtspDescribe(t, loopback, loopback, g.rtspPort, "cam1/main", "")
	if code != 401 || !strings.Contains(head, "Digest") || strings.Contains(head, "Basic") {
		t.Errorf("challenge: %d\n%s\nwant Digest only", code, head)
	}
	if got, err := ffprobe(g.rtspURL(loopback, "viewer:s3cret", "cam1/main")); err != nil || got != "h264,320,180" {
		t.Errorf("ffprobe with Digest: %q %v", got, err)
	}
	if got, err := ffprobe(g.rtspURL(loopback, "viewer:wrong", "cam1/main")); err == nil {
		t.Errorf("ffprobe with a wrong password: %q", got)
	}
}

// TestLoginThrottle: after N wrong passwords from an address, even the right
// one is refused from it (RTSP 401 with Retry-After, HTTP 429), once logged;
// another address is unaffected; the metrics count it.
func TestLoginThrottle(t *testing.T) {
	addrs := testaddr.NonLoopback(t, "10.211.7.3", "10.211.7.4")
	attacker, other := addrs[0], addrs[1]
	g := startReadersGateway(t, "users: [{name: viewer, password: s3cret, read: all}]\nlogin_throttle: {failures: 5, window: 1m, block: 2m}\n")
	hls := "http://" + net.JoinHostPort(attacker.String(), strconv.Itoa(g.hlsPort)) + "/cam1/main/index.m3u8"
	for i := range 4 {
		if code, _, body := httpStatus(t, attacker, "GET", hls, "viewer", fmt.Sprint("guess", i), ""); code != 401 {
			t.Fatalf("wrong password %d: %d %s", i, code, body)
		}
	}
	// The fifth failure, over RTSP: the same throttle guards every protocol.
	if code, _ := rtspDescribe(t, attacker, attacker, g.rtspPort, "cam1/main", basicAuth("viewer", "guess4")); code != 401 {
		t.Fatalf("fifth wrong password over RTSP: %d", code)
	}
	code, retry, _ := httpStatus(t, attacker, "GET", hls, "viewer", "s3cret", "")
	if code != 429 || retry == "" {
		t.Errorf("the right password from a throttled address over HLS: %d (Retry-After %q), want 429", code, retry)
	}
	if code, head := rtspDescribe(t, attacker, attacker, g.rtspPort, "cam1/main", basicAuth("viewer", "s3cret")); code != 401 || !strings.Contains(head, "Retry-After") {
		t.Errorf("the right password from a throttled address over RTSP: %d\n%s", code, head)
	}
	if got, err := ffprobe(g.rtspURL(attacker, "viewer:s3cret", "cam1/main")); err == nil {
		t.Errorf("ffprobe from a throttled address: %q", got)
	}
	// Another address, and this machine, are unaffected.
	if got, err := ffprobe(g.rtspURL(other, "viewer:s3cret", "cam1/main")); err != nil || got != "h264,320,180" {
		t.Errorf("ffprobe from another address: %q %v", got, err)
	}
	if code, _, _ := httpStatus(t, other, "GET", "http://"+net.JoinHostPort(other.String(), strconv.Itoa(g.hlsPort))+"/cam1/main/index.m3u8", "viewer", "s3cret", ""); code != 200 {
		t.Errorf("HLS from another address: %d", code)
	}
	if n := strings.Count(g.log.String(), "too many failed logins"); n != 1 || !strings.Contains(g.log.String(), attacker.String()) {
		t.Errorf("%d log lines about the throttle, want 1 naming %v:\n%s", n, attacker, g.log.String())
	}
	res, err := http.Get("http://" + g.api + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	metric := func(name string) int {
		m := regexp.MustCompile(`(?m)^` + name + ` (\d+)$`).FindStringSubmatch(string(b))
		if m == nil {
			t.Fatalf("no %s in /metrics", name)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if f, th, bl := metric("camgate_auth_failures_total"), metric("camgate_auth_throttled_total"), metric("camgate_auth_blocks_total"); f != 5 || th < 3 || bl != 1 {
		t.Errorf("metrics: failures %d (want 5), throttled %d (want ≥ 3), blocks %d (want 1)", f, th, bl)
	}
}
