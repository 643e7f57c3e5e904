package rtsp

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/textproto"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/rtsp/rtspclient"
	"github.com/camgate/camgate/rtsp/rtsptest"
	"github.com/camgate/camgate/stream"
)

// liveServer publishes an H.264 path fed at 25 fps from a clip, as a
// transcoded output is, until the test ends.
func liveServer(t *testing.T, cfg ServerConfig) (*Server, string) {
	t.Helper()
	clip, err := fakecam.LoadClip("../testdata/reschange.h264")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Address = "127.0.0.1:0"
	hub := stream.NewHub()
	srv, err := NewServer(cfg, hub)
	if err != nil {
		t.Fatal(err)
	}
	d := stream.H264Description(codec.ParameterSets{}, 0, 0)
	st, err := hub.Publish("cam/sub", stream.PublishOptions{Description: &d})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			au := clip.AccessUnits[i%len(clip.AccessUnits)]
			st.WriteAccessUnit(&codec.AccessUnit{NALUs: au, PTS: time.Duration(i) * 40 * time.Millisecond, Keyframe: codec.IsKeyframe(codec.H264, au)})
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		srv.Close()
		hub.Close()
	})
	return srv, srv.URL("cam/sub")
}

// flowing checks that the reader gets packets during d.
func flowing(t *testing.T, r *rtspclient.Player, what string, d time.Duration) {
	t.Helper()
	before := r.Stats().Packets
	time.Sleep(d)
	if got := r.Stats().Packets - before; got < int(d/(40*time.Millisecond))/2 {
		t.Errorf("%s: a well-behaved reader got only %d packets in %v", what, got, d)
	}
}

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// rawRTSP is a hand-driven RTSP client, to be rude with.
type rawRTSP struct {
	c net.Conn
	r *textproto.Reader
	n int
}

func dialRaw(t *testing.T, srv *Server) *rawRTSP {
	t.Helper()
	return dialRawFrom(t, srv, "127.0.0.1")
}

// dialRawFrom connects from another address of this machine (any of
// 127.0.0.0/8): another client, to the login throttle.
func dialRawFrom(t *testing.T, srv *Server, from string) *rawRTSP {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return &rawRTSP{c: c, r: textproto.NewReader(bufio.NewReader(c))}
}

// do sends a request and returns the status line and headers.
func (r *rawRTSP) do(method, url string, headers ...string) (string, textproto.MIMEHeader, error) {
	r.n++
	req := fmt.Sprintf("%s %s RTSP/1.0\r\nCSeq: %d\r\n", method, url, r.n)
	for _, h := range headers {
		req += h + "\r\n"
	}
	r.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.c.Write([]byte(req + "\r\n")); err != nil {
		return "", nil, err
	}
	status, err := r.r.ReadLine()
	if err != nil {
		return "", nil, err
	}
	hdr, err := r.r.ReadMIMEHeader()
	if err != nil {
		return status, nil, err
	}
	if n := hdr.Get("Content-Length"); n != "" {
		var size int
		fmt.Sscan(n, &size)
		buf := make([]byte, size)
		if _, err := io.ReadFull(r.r.R, buf); err != nil {
			return status, hdr, err
		}
	}
	return status, hdr, nil
}

func TestHostileClients(t *testing.T) {
	srv, url := liveServer(t, ServerConfig{User: "viewer", Pass: "right"})
	authURL := strings.Replace(url, "rtsp://", "rtsp://viewer:right@", 1)
	good := rtsptest.Play(t, authURL)
	flowing(t, good, "baseline", time.Second)
	fds0, gor0 := openFDs(t), runtime.NumGoroutine()

	t.Run("silent connections", func(t *testing.T) {
		var conns []net.Conn
		for i := 0; i < 300; i++ {
			c, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		flowing(t, good, "300 silent connections", time.Second)
		flowing(t, rtsptest.Play(t, authURL), "a new reader beside 300 silent connections", time.Second)
		for _, c := range conns {
			c.Close()
		}
	})

	t.Run("malformed and oversized requests", func(t *testing.T) {
		rng := rand.New(rand.NewSource(1))
		for i := 0; i < 50; i++ {
			c, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			junk := make([]byte, 1+rng.Intn(4096))
			rng.Read(junk)
			c.Write(junk)
			c.Close()
		}
		c, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		// A request line of 1 MB and headers without end: the server must
		// close the connection rather than buffer forever.
		c.SetDeadline(time.Now().Add(10 * time.Second))
		go func() {
			c.Write([]byte("DESCRIBE " + url + strings.Repeat("A", 1<<20) + " RTSP/1.0\r\n"))
			for i := 0; i < 1000; i++ {
				if _, err := c.Write([]byte("X-Pad: " + strings.Repeat("B", 1000) + "\r\n")); err != nil {
					return
				}
			}
		}()
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Error("the server kept reading an endless request for 10 s")
				}
				break
			}
		}
		c.Close()
		flowing(t, good, "after garbage", time.Second)
	})

	t.Run("wrong paths and credentials", func(t *testing.T) {
		// No credentials: 401 with a challenge.
		r := dialRaw(t, srv)
		defer r.c.Close()
		status, hdr, err := r.do("DESCRIBE", url)
		if err != nil || !strings.Contains(status, "401") || hdr.Get("WWW-Authenticate") == "" {
			t.Fatalf("no credentials: %q %v, want 401 with WWW-Authenticate", status, err)
		}
		// Wrong credentials, from another client (127.0.0.2): refused
		// (gortsplib closes the connection), fast, 50 times in a row; from the
		// 10th on, the address is throttled: refused with Retry-After, even
		// with the right password. The first client is unaffected.
		start := time.Now()
		for i := 0; i < 50; i++ {
			w := dialRawFrom(t, srv, "127.0.0.2")
			status, hdr, err := w.do("DESCRIBE", url, "Authorization: Basic "+basicAuth("viewer", "wrong"))
			w.c.Close()
			if err == nil && !strings.Contains(status, "401") {
				t.Fatalf("wrong password: %q, want a refusal", status)
			}
			if throttled := hdr.Get("Retry-After") != ""; err == nil && throttled != (i >= 9) {
				t.Fatalf("wrong password %d: Retry-After %q", i+1, hdr.Get("Retry-After"))
			}
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("50 refusals took %v", d)
		}
		w := dialRawFrom(t, srv, "127.0.0.2")
		status, hdr, err = w.do("DESCRIBE", url, "Authorization: Basic "+basicAuth("viewer", "right"))
		w.c.Close()
		if err != nil || !strings.Contains(status, "401") || hdr.Get("Retry-After") == "" {
			t.Errorf("the right password from the throttled address: %q %v %v, want 401 with Retry-After", status, hdr, err)
		}
		status, _, err = r.do("DESCRIBE", strings.Replace(url, "cam/sub", "nope", 1), "Authorization: Basic "+basicAuth("viewer", "right"))
		if err != nil || !strings.Contains(status, "404") {
			t.Errorf("unknown path: %q %v, want 404", status, err)
		}
		flowing(t, good, "after 50 wrong passwords", time.Second)
	})

	t.Run("a reader that never reads", func(t *testing.T) {
		r := dialRaw(t, srv)
		defer r.c.Close()
		auth := "Authorization: Basic " + basicAuth("viewer", "right")
		if status, _, err := r.do("DESCRIBE", url, auth, "Accept: application/sdp"); err != nil || !strings.Contains(status, "200") {
			t.Fatalf("describe: %q %v", status, err)
		}
		status, hdr, err := r.do("SETUP", url+"/trackID=0", auth, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1")
		if err != nil || !strings.Contains(status, "200") {
			t.Fatalf("setup: %q %v", status, err)
		}
		session, _, _ := strings.Cut(hdr.Get("Session"), ";")
		if status, _, err := r.do("PLAY", url, auth, "Session: "+session); err != nil || !strings.Contains(status, "200") {
			t.Fatalf("play: %q %v", status, err)
		}
		// Now read nothing: its socket buffers fill, then its queue. The camera
		// path and the other reader must not notice.
		r.c.(*net.TCPConn).SetReadBuffer(4096)
		flowing(t, good, "beside a reader that never reads", 3*time.Second)
	})

	t.Run("connect and disconnect 10000 times", func(t *testing.T) {
		for i := 0; i < 10000; i++ {
			c, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				t.Fatalf("cycle %d: %v", i, err)
			}
			c.Close()
		}
		flowing(t, good, "after 10000 connections", time.Second)
	})

	// Everything the rude clients opened is gone again.
	deadline := time.Now().Add(15 * time.Second)
	for {
		fds, gor := openFDs(t), runtime.NumGoroutine()
		if fds <= fds0+2 && gor <= gor0+4 {
			t.Logf("fds %d → %d, goroutines %d → %d", fds0, fds, gor0, gor)
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("after the hostile clients: fds %d → %d, goroutines %d → %d", fds0, fds, gor0, gor)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func basicAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}
