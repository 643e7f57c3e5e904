// Package browsertest runs a page in Debian's headless Chromium and returns
// what the page reports. Only tests import it.
//
// A test gives the page's HTML (and any files it loads); browsertest serves
// them from a loopback server of its own, opens the page, and waits until
// the page POSTs its result, as JSON, to /result. The page decides when it
// has seen enough (frames counted, a size read), so nothing here depends on
// how fast the machine is; the deadline only bounds a page that never
// answers.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Page is what the browser loads.
type Page struct {
	HTML  string            // served at /
	Files map[string][]byte // served at /<name>, with a type from its extension
	// Query is appended to the page's URL ("?a=b"), for pages that read it.
	Query string
	// Handlers are more endpoints of the page's server, by pattern
	// ("POST /reboot"): a page asks the test to act (reboot a camera) at
	// the moment it is ready to watch what follows.
	Handlers map[string]http.HandlerFunc
}

// Flags are the Chromium flags every run uses: headless, no sandbox (root),
// none of Chromium's own network traffic (the machine's network is closed,
// and its refused connections slow the start), media that plays without a
// gesture, and WebRTC candidates on loopback, where camgate's servers listen
// in tests.
var Flags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
	"--autoplay-policy=no-user-gesture-required", "--allow-loopback-in-peer-connection",
	"--disable-features=WebRtcHideLocalIpsWithMdns,MediaRouter,OptimizationHints,Translate",
	"--window-size=1280,800", "--enable-logging=stderr", "--v=0",
}

// Run opens page in Chromium and decodes the JSON it POSTs to /result into
// result. It fails the test when Chromium is missing, exits first, or the
// page does not answer within timeout; the failure shows the page's console.
func Run(t testing.TB, page Page, timeout time.Duration, result any) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("Debian's chromium is not installed: run `make test-deps` (scripts/test-deps.sh)")
	}
	got := make(chan []byte, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page.HTML)
	})
	for name, b := range page.Files {
		mux.HandleFunc("/"+name, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType(name))
			w.Write(b)
		})
	}
	for pattern, h := range page.Handlers {
		mux.HandleFunc(pattern, h)
	}
	mux.HandleFunc("POST /result", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		select {
		case got <- b:
		default:
		}
	})
	mux.HandleFunc("/favicon.ico", http.NotFound)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var console logBuffer
	cmd := exec.CommandContext(ctx, bin, append(append([]string{}, Flags...),
		"--user-data-dir="+t.TempDir(), "http://"+ln.Addr().String()+"/"+page.Query)...)
	cmd.Stdout, cmd.Stderr = &console, &console
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cancel()
		<-exited
	}()
	select {
	case b := <-got:
		if err := json.Unmarshal(b, result); err != nil {
			t.Fatalf("the page's result %q: %v", b, err)
		}
	case err := <-exited:
		exited <- err
		t.Fatalf("chromium exited before the page answered (%v); its console:\n%s", err, console.String())
	case <-ctx.Done():
		t.Fatalf("the page did not answer within %v; its console:\n%s", timeout, console.String())
	}
}

func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".js"):
		return "text/javascript"
	case strings.HasSuffix(name, ".html"):
		return "text/html; charset=utf-8"
	case strings.HasSuffix(name, ".css"):
		return "text/css"
	}
	return "application/octet-stream"
}

// logBuffer keeps the console's last 64 KiB, for a failure message.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if l.buf.Len() > 64<<10 {
		b := l.buf.Bytes()[l.buf.Len()-32<<10:]
		l.buf = *bytes.NewBuffer(append([]byte(nil), b...))
	}
	return len(p), nil
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Keep the page's console lines and errors; Chromium's own noise about
	// the closed network says nothing about the page.
	var out []string
	for _, line := range strings.Split(l.buf.String(), "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "ERROR") && !strings.Contains(line, "network") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
