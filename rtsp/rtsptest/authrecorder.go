package rtsptest

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// AuthRecorder is a fake RTSP server that records the credentials clients
// send it: it answers OPTIONS, and DESCRIBE with 401 and a Basic challenge
// (or with a redirect, when given one), and keeps every request's method and
// Authorization header.
type AuthRecorder struct {
	ln       net.Listener
	redirect string

	mu     sync.Mutex
	reqs   []RecordedRequest
	conns  map[net.Conn]bool
	closed int // connections that have ended
	wg     sync.WaitGroup
}

// RecordedRequest is a request an AuthRecorder received.
type RecordedRequest struct {
	Method        string
	Authorization string
}

// BasicPassword returns the user and password of a Basic Authorization.
func (r RecordedRequest) BasicPassword() (user, pass string, ok bool) {
	scheme, enc, found := strings.Cut(r.Authorization, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(b), ":")
	return user, pass, ok
}

// StartAuthRecorder listens on 127.0.0.1. A non-empty redirect answers
// DESCRIBE with 302 to that URL instead of 401. It is closed with the test.
func StartAuthRecorder(t testing.TB, redirect string) *AuthRecorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &AuthRecorder{ln: ln, redirect: redirect, conns: map[net.Conn]bool{}}
	a.wg.Add(1)
	go a.accept()
	t.Cleanup(a.Close)
	return a
}

// URL returns an rtsp:// URL of the recorder with path.
func (a *AuthRecorder) URL(path string) string { return "rtsp://" + a.ln.Addr().String() + "/" + path }

// Addr returns the recorder's host:port.
func (a *AuthRecorder) Addr() string { return a.ln.Addr().String() }

// Requests returns the requests received so far, and how many connections
// have ended.
func (a *AuthRecorder) Requests() ([]RecordedRequest, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]RecordedRequest(nil), a.reqs...), a.closed
}

// Close stops the recorder and waits for its goroutines.
func (a *AuthRecorder) Close() {
	a.ln.Close()
	a.mu.Lock()
	for c := range a.conns {
		c.Close()
	}
	a.mu.Unlock()
	a.wg.Wait()
}

func (a *AuthRecorder) accept() {
	defer a.wg.Done()
	for {
		c, err := a.ln.Accept()
		if err != nil {
			return
		}
		a.mu.Lock()
		a.conns[c] = true
		a.mu.Unlock()
		a.wg.Add(1)
		go a.serve(c)
	}
}

func (a *AuthRecorder) serve(c net.Conn) {
	defer a.wg.Done()
	defer func() {
		c.Close()
		a.mu.Lock()
		delete(a.conns, c)
		a.closed++
		a.mu.Unlock()
	}()
	r := textproto.NewReader(bufio.NewReader(c))
	for i := 0; i < 100; i++ { // a client asks a few times, then gives up
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		method, _, _ := strings.Cut(line, " ")
		h, err := r.ReadMIMEHeader()
		if err != nil {
			return
		}
		if n, _ := strconv.Atoi(h.Get("Content-Length")); n > 0 {
			if _, err := r.R.Discard(min(n, 1<<16)); err != nil {
				return
			}
		}
		a.mu.Lock()
		a.reqs = append(a.reqs, RecordedRequest{Method: method, Authorization: h.Get("Authorization")})
		a.mu.Unlock()
		var res string
		switch {
		case method == "OPTIONS":
			res = "RTSP/1.0 200 OK\r\nPublic: DESCRIBE, SETUP, PLAY, TEARDOWN\r\n"
		case method == "DESCRIBE" && a.redirect != "":
			res = "RTSP/1.0 302 Found\r\nLocation: " + a.redirect + "\r\n"
		case method == "DESCRIBE":
			res = "RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"recorder\"\r\n"
		default:
			res = "RTSP/1.0 405 Method Not Allowed\r\n"
		}
		if _, err := fmt.Fprintf(c, "%sCSeq: %s\r\nContent-Length: 0\r\n\r\n", res, h.Get("CSeq")); err != nil {
			return
		}
	}
}
