package rtsptest

import (
	"bufio"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// DescribeCamera is a hostile camera: it answers OPTIONS, answers DESCRIBE
// with sdp as it is (binary bytes and all), and every other request with 454.
// It returns the camera's rtsp:// URL; the camera closes with the test.
func DescribeCamera(t testing.TB, sdp string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serveDescribe(c, l.Addr().String(), sdp)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "rtsp://" + l.Addr().String() + "/x"
}

func serveDescribe(c net.Conn, addr, sdp string) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := textproto.NewReader(bufio.NewReader(c))
	for {
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		hdr, err := r.ReadMIMEHeader()
		if err != nil {
			return
		}
		method, _, _ := strings.Cut(line, " ")
		cseq := hdr.Get("Cseq")
		switch method {
		case "OPTIONS":
			fmt.Fprintf(c, "RTSP/1.0 200 OK\r\nCSeq: %s\r\nPublic: DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n", cseq)
		case "DESCRIBE":
			fmt.Fprintf(c, "RTSP/1.0 200 OK\r\nCSeq: %s\r\nContent-Base: rtsp://%s/x/\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
				cseq, addr, len(sdp), sdp)
		default:
			fmt.Fprintf(c, "RTSP/1.0 454 Session Not Found\r\nCSeq: %s\r\n\r\n", cseq)
		}
	}
}

// Printable fails the test if s holds anything a terminal or a log reader
// would not show as it is, or is longer than limit bytes: what a hostile
// camera sent, once camgate has escaped and capped it.
func Printable(t testing.TB, what, s string, limit int) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s is not valid UTF-8: %q", what, s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			t.Errorf("%s holds the unprintable %U: %q", what, r, s)
			break
		}
	}
	if len(s) > limit {
		t.Errorf("%s is %d bytes, want at most %d: %q", what, len(s), limit, s)
	}
}
