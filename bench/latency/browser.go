package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

//go:embed page.html
var pageHTML []byte

// Target is one stream to measure.
type Target struct {
	Label  string
	URL    string     // WHEP endpoint (…/whep), HLS playlist (….m3u8), or any URL a <video> plays
	Kind   string     // "whep", "hls" or "file"; "" guesses from URL
	Region [4]float64 // x, y, w, h of the picture holding the strip, as fractions; zero: the whole picture
}

// ParseTarget reads "label=URL", where URL may end in "#region=x,y,w,h"
// (fractions of the picture: "#region=0,0,0.5,0.5" is the top-left tile of
// a 2×2 grid).
func ParseTarget(s string) (Target, error) {
	label, u, ok := strings.Cut(s, "=")
	if !ok || label == "" || u == "" {
		return Target{}, fmt.Errorf("target %q: want label=URL", s)
	}
	t := Target{Label: label, URL: u}
	if base, frag, ok := strings.Cut(u, "#"); ok {
		t.URL = base
		v, ok := strings.CutPrefix(frag, "region=")
		parts := strings.Split(v, ",")
		if !ok || len(parts) != 4 {
			return Target{}, fmt.Errorf("target %q: want #region=x,y,w,h", s)
		}
		for i, p := range parts {
			f, err := strconv.ParseFloat(p, 64)
			if err != nil || f < 0 || f > 1 {
				return Target{}, fmt.Errorf("target %q: region: %q is not a fraction", s, p)
			}
			t.Region[i] = f
		}
	}
	return t, nil
}

func (t Target) kind() string {
	if t.Kind != "" {
		return t.Kind
	}
	p := t.URL
	if u, err := url.Parse(t.URL); err == nil {
		p = u.Path
	}
	switch {
	case strings.HasSuffix(p, "/whep"):
		return "whep"
	case strings.HasSuffix(p, ".m3u8"):
		return "hls"
	}
	return "file"
}

// Result is what the page measured.
type Result struct {
	Error        string    `json:"error"`
	Lags         []float64 `json:"lags"`  // ms, Date.now() at the frame callback minus the burnt-in time, one per distinct frame read
	Burnt        []float64 `json:"burnt"` // the burnt-in times read, Unix ms
	Frames       int       `json:"frames"`
	Unreadable   int       `json:"unreadable"`
	Repeated     int       `json:"repeated"`
	Presented    int       `json:"presented"`
	Dropped      int       `json:"dropped"`
	Width        int       `json:"width"`
	Height       int       `json:"height"`
	FirstFrameMs float64   `json:"firstFrameMs"` // from the start of playing (the WHEP POST) to the first frame
}

// Percentile returns the p-th percentile (0–100) of the lags, nearest rank.
func (r *Result) Percentile(p float64) float64 {
	if len(r.Lags) == 0 {
		return 0
	}
	s := slices.Clone(r.Lags)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// Browser runs measurements in headless Chromium, one at a time.
type Browser struct {
	Chromium string        // default /usr/bin/chromium
	Seconds  float64       // of frames to collect after the first; default 30
	JS       string        // path of api/web/clockstrip.js; default found from the working directory
	HLSJS    string        // path or URL of hls.js; "" plays HLS natively
	Timeout  time.Duration // for the first frame; default 60 s
	Log      func(format string, args ...any)
	Files    map[string]string // extra files served: URL path → file path (local videos); a path ending in / serves a folder
}

// Measure plays t in a fresh headless Chromium and returns what its page
// measured.
func (b *Browser) Measure(ctx context.Context, t Target) (*Result, error) {
	if b.Chromium == "" {
		b.Chromium = "/usr/bin/chromium"
	}
	if b.Seconds <= 0 {
		b.Seconds = 30
	}
	if b.Timeout <= 0 {
		b.Timeout = 60 * time.Second
	}
	if b.Log == nil {
		b.Log = func(string, ...any) {}
	}
	jsPath := b.JS
	if jsPath == "" {
		root, err := repoRoot()
		if err != nil {
			return nil, err
		}
		jsPath = filepath.Join(root, "api", "web", "clockstrip.js")
	}
	js, err := os.ReadFile(jsPath)
	if err != nil {
		return nil, fmt.Errorf("clockstrip.js: %w", err)
	}
	if t.Region == ([4]float64{}) {
		t.Region = [4]float64{0, 0, 1, 1}
	}
	cfg := map[string]any{
		"url": t.URL, "kind": t.kind(), "region": t.Region, "seconds": b.Seconds,
		"firstFrameTimeout": b.Timeout.Seconds(),
	}
	mux := http.NewServeMux()
	if t.kind() == "hls" && b.HLSJS != "" {
		if strings.Contains(b.HLSJS, "://") {
			cfg["hlsjs"] = b.HLSJS
		} else {
			cfg["hlsjs"] = "/hls.js"
			mux.HandleFunc("/hls.js", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/javascript")
				http.ServeFile(w, r, b.HLSJS)
			})
		}
	}
	results := make(chan *Result, 1)
	var once sync.Once
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(pageHTML)
	})
	mux.HandleFunc("/clockstrip.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write(js)
	})
	mux.HandleFunc("/target", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(cfg)
	})
	mux.HandleFunc("POST /log", func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Msg string }
		if json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&m) == nil {
			b.Log("%s: page: %s", t.Label, m.Msg)
		}
	})
	mux.HandleFunc("POST /result", func(w http.ResponseWriter, r *http.Request) {
		var res Result
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&res); err != nil {
			res.Error = "bad result: " + err.Error()
		}
		once.Do(func() { results <- &res })
	})
	for p, f := range b.Files {
		if strings.HasSuffix(p, "/") { // a folder
			mux.Handle(p, http.StripPrefix(p, http.FileServer(http.Dir(f))))
			continue
		}
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, f) })
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	dir, err := os.MkdirTemp("", "latency-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var stderr bytes.Buffer
	cmd := exec.Command(b.Chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--autoplay-policy=no-user-gesture-required", "--user-data-dir="+dir,
		"http://"+ln.Addr().String()+"/?id=1")
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("chromium: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // chromium and its helpers
		<-exited
	}()
	limit := time.NewTimer(b.Timeout + time.Duration(b.Seconds*float64(time.Second)) + 30*time.Second)
	defer limit.Stop()
	select {
	case res := <-results:
		if res.Error != "" {
			return res, fmt.Errorf("%s: page: %s", t.Label, res.Error)
		}
		return res, nil
	case err := <-exited:
		exited <- err
		return nil, fmt.Errorf("%s: chromium exited (%v): %s", t.Label, err, tail(stderr.String()))
	case <-limit.C:
		return nil, fmt.Errorf("%s: no result in time: %s", t.Label, tail(stderr.String()))
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

// repoRoot finds the camgate module from the working directory, or from this
// source file's place when run from elsewhere.
func repoRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	for _, d := range starts {
		for {
			if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/camgate/camgate\n")) {
				return d, nil
			}
			up := filepath.Dir(d)
			if up == d {
				break
			}
			d = up
		}
	}
	return "", errors.New("cannot find the camgate repository (for api/web/clockstrip.js): run from inside it or pass -js")
}
