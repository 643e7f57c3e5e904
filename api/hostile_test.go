package api

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestAPIHostileClients: the API stays up and correct with oversized and
// malformed requests and with many connections that never speak.
func TestAPIHostileClients(t *testing.T) {
	fx := newFixture(t)

	// A 2 MB body is cut at 1 MB and refused, not buffered whole.
	big := `{"name": "x", "url": "` + strings.Repeat("a", 2<<20) + `"}`
	if code, body := fx.do("POST", "/v1/cameras", big); code != 400 {
		t.Errorf("2 MB body: %d %s, want 400", code, body[:min(len(body), 200)])
	}

	// Garbage instead of HTTP, and connections that never speak.
	var idle []net.Conn
	for i := 0; i < 200; i++ {
		c, err := net.Dial("tcp", fx.srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			c.Write(bytes.Repeat([]byte{0xff, 0x00, '\n'}, 100))
		}
		idle = append(idle, c)
	}
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for i := 0; i < 20; i++ {
		if code, _ := fx.do("GET", "/v1/cameras", ""); code != 200 {
			t.Fatalf("GET /v1/cameras beside 200 idle connections: %d", code)
		}
	}
	// Served beside them, not after them: the silent ones are still open
	// (the server would only drop them at its header timeout), so nothing
	// waited for them to go away.
	for i, c := range idle {
		if i%10 == 0 {
			continue
		}
		c.SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("silent connection %d was closed before the 20 requests were served (%v): they waited for it", i, err)
		}
	}
	// A malformed request line gets an HTTP error, and the server goes on.
	c, err := net.Dial("tcp", fx.srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("GET /v1/cameras HTTP/9.9 garbage\r\n\r\n"))
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	c.Close()
	if !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 400") && !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 505") {
		t.Errorf("malformed request: %q, want an HTTP error", buf[:n])
	}
	if res, err := http.Get(fx.base + "/healthz"); err != nil || res.StatusCode != 200 {
		t.Errorf("healthz after the hostile clients: %v %v", res, err)
	}
}
