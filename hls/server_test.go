package hls

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/camgate/camgate/internal/viewers"
	"github.com/camgate/camgate/stream"
)

// Debian's ffprobe reads the stream's format, and ffmpeg decodes 5 s of it
// without printing a single error.
func TestFFmpegReads(t *testing.T) {
	need(t, "ffprobe")
	need(t, "ffmpeg")
	for _, tc := range []struct{ clip, codec, size string }{
		{"cam1080p25.h264", "h264", "1920x1080"},
		{"cam720p25.hevc", "hevc", "1280x720"},
	} {
		t.Run(tc.codec, func(t *testing.T) {
			hub := stream.NewHub()
			defer hub.Close()
			publishClip(t, hub, "cam1/main", tc.clip)
			s := newTestServer(t, hub, nil)
			url := s.URL("cam1/main")

			ctx, cancel := context.WithTimeout(context.Background(), limit)
			defer cancel()
			out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-show_streams", "-of", "json", url).Output()
			if err != nil {
				t.Fatalf("ffprobe %s: %v", url, err)
			}
			var probe struct {
				Streams []struct {
					CodecName string `json:"codec_name"`
					Width     int    `json:"width"`
					Height    int    `json:"height"`
				} `json:"streams"`
			}
			if err := json.Unmarshal(out, &probe); err != nil {
				t.Fatalf("ffprobe output: %v\n%s", err, out)
			}
			var got []string
			for _, st := range probe.Streams {
				got = append(got, fmt.Sprintf("%s %dx%d", st.CodecName, st.Width, st.Height))
			}
			if want := tc.codec + " " + tc.size; len(got) != 1 || got[0] != want {
				t.Fatalf("ffprobe: %q, want [%s]", got, want)
			}

			start := time.Now()
			cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-i", url, "-t", "5", "-f", "null", "-")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("ffmpeg: %v\n%s", err, stderr.String())
			}
			if strings.TrimSpace(stderr.String()) != "" {
				t.Fatalf("ffmpeg printed errors decoding 5 s:\n%s", stderr.String())
			}
			t.Logf("ffmpeg decoded 5 s in %v", time.Since(start).Round(time.Millisecond))
		})
	}
}

// GStreamer's hlsdemux (another HLS client nobody here wrote) reads and
// decodes the stream.
func TestGStreamerReads(t *testing.T) {
	need(t, "gst-launch-1.0")
	hub := stream.NewHub()
	defer hub.Close()
	publishClip(t, hub, "grid/demo", "cam1080p25.h264")
	s := newTestServer(t, hub, nil)

	// hlsdemux plays a live stream until stopped: count the decoded
	// pictures that reach the sink, and stop at 50.
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "gst-launch-1.0", "-v",
		"souphttpsrc", "location="+s.URL("grid/demo"), "!", "hlsdemux", "!",
		"decodebin", "!", "video/x-raw", "!", "fakesink", "name=out", "silent=false", "sync=false")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pictures int
	var size, errs []string
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var tail []string
	for sc.Scan() && pictures < 50 {
		line := sc.Text()
		if tail = append(tail, line); len(tail) > 20 {
			tail = tail[1:]
		}
		switch {
		case strings.Contains(line, "GstFakeSink:out: last-message = chain"):
			pictures++
		case strings.Contains(line, "GstFakeSink:out.GstPad:sink: caps = video/x-raw"):
			size = append(size, regexp.MustCompile(`width=\(int\)(\d+), height=\(int\)(\d+)`).FindString(line))
		case strings.Contains(line, "ERROR"):
			errs = append(errs, line)
		}
	}
	cancel()
	_ = cmd.Wait()
	if pictures < 50 || len(errs) > 0 {
		t.Fatalf("GStreamer decoded %d pictures (want 50); errors: %q; its last lines:\n%s", pictures, errs, strings.Join(tail, "\n"))
	}
	if len(size) == 0 || size[0] != "width=(int)1920, height=(int)1080" {
		t.Errorf("GStreamer's picture size: %q", size)
	}
}

// The media playlist is Low-Latency HLS: parts, blocking reloads, and
// program dates; its init file and parts are served.
func TestPlaylistIsLowLatency(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	publishClip(t, hub, "cam1/sub", "cam1080p25.h264")
	s := newTestServer(t, hub, nil)

	media := mediaPlaylistURL(t, s.URL("cam1/sub"))
	var body string
	eventually(t, "the media playlist has parts", func() bool {
		_, _, body = get(t, media, nil)
		return strings.Contains(body, "#EXT-X-PART:")
	})
	for _, tag := range []string{"#EXT-X-PART:", "#EXT-X-PROGRAM-DATE-TIME:", "#EXT-X-SERVER-CONTROL:", "CAN-BLOCK-RELOAD=YES", "#EXT-X-PART-INF:", "#EXT-X-MAP:"} {
		if !strings.Contains(body, tag) {
			t.Errorf("media playlist lacks %s:\n%s", tag, body)
		}
	}
	// The program date is today's wall clock.
	if m := regexp.MustCompile(`#EXT-X-PROGRAM-DATE-TIME:(\S+)`).FindStringSubmatch(body); m != nil {
		d, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil || time.Since(d) > time.Hour || time.Until(d) > time.Hour {
			t.Errorf("program date %q (%v) is not the wall clock", m[1], err)
		}
	}
	base := media[:strings.LastIndexByte(media, '/')+1]
	uri := regexp.MustCompile(`#EXT-X-MAP:URI="([^"]+)"`).FindStringSubmatch(body)
	part := regexp.MustCompile(`#EXT-X-PART:[^\n]*URI="([^"]+)"`).FindStringSubmatch(body)
	if uri == nil || part == nil {
		t.Fatalf("no init or part URI:\n%s", body)
	}
	for _, u := range []string{uri[1], part[1]} {
		code, h, b := get(t, base+u, nil)
		if code != 200 || h.Get("Content-Type") != "video/mp4" || len(b) == 0 {
			t.Errorf("GET %s: %d %q %d bytes", u, code, h.Get("Content-Type"), len(b))
		}
	}
	if code, _, _ := get(t, base+"nosuchfile.mp4", nil); code != 404 {
		t.Errorf("an unknown file of a muxer: %d, want 404", code)
	}
}

func TestErrors(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	if _, err := hub.Publish("cam2/main", stream.PublishOptions{}); err != nil { // a camera not reached yet
		t.Fatal(err)
	}
	s := newTestServer(t, hub, nil)
	root := "http://" + s.Addr().String()

	code, _, body := get(t, s.URL("nosuch/path"), nil)
	if code != 404 || !strings.Contains(body, "nosuch/path") {
		t.Errorf("unknown path: %d %q", code, body)
	}
	code, _, body = get(t, s.URL("cam2/main"), nil)
	if code != 404 || !strings.Contains(body, "not ready") {
		t.Errorf("stream not ready: %d %q", code, body)
	}
	if s.Muxers() != 0 {
		t.Errorf("%d muxers for streams that cannot be muxed", s.Muxers())
	}

	// Odd paths: answered, never a crash.
	odd := []string{"/", "//", "/../x", "/./index.m3u8", "/a//index.m3u8", "/%2e%2e/index.m3u8", "/a/%00/index.m3u8",
		"/" + strings.Repeat("a/", 3000) + "index.m3u8", "/index.m3u8", "/x/y/../index.m3u8", "/cam2/main/seg.mp4", "/a\\b/index.m3u8"}
	for _, p := range odd {
		conn, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", p)
		buf := make([]byte, 64)
		conn.SetReadDeadline(time.Now().Add(limit))
		n, _ := conn.Read(buf)
		conn.Close()
		status := strings.SplitN(string(buf[:n]), "\r\n", 2)[0]
		if !strings.HasPrefix(status, "HTTP/1.1 4") && !strings.HasPrefix(status, "HTTP/1.1 3") {
			t.Errorf("GET %.40s: %q, want a 4xx or a redirect", p, status)
		}
	}
	if code, _, _ := get(t, root+"/cam2/main/", nil); code != 200 {
		t.Errorf("player page: %d", code)
	}
	req, _ := http.NewRequest("POST", s.URL("cam2/main"), nil)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 405 {
		t.Errorf("POST: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	// Still serving.
	if code, _, _ := get(t, root+"/cam2/main/hls.light.min.js", nil); code != 200 {
		t.Errorf("after odd requests: %d", code)
	}
}

func TestAuthAndCORS(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	publishClip(t, hub, "cam1/sub", "cam1080p25.h264")
	s := newTestServer(t, hub, func(c *Config) {
		c.Auth = viewers.NewAuth(viewers.Policy{Users: []viewers.User{viewers.ReaderOfAll("viewer", "secret", "t0ken")}})
		c.CORS = viewers.CORS{Origins: viewers.DefaultOrigins}
	})
	url := s.URL("cam1/sub")
	origin := func(r *http.Request) { r.Header.Set("Origin", "https://app.example") }

	code, h, _ := get(t, url, origin)
	if code != 401 || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("no credentials: %d %q", code, h.Get("WWW-Authenticate"))
	}
	if h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("a 401 without CORS headers: %v", h)
	}
	if code, _, _ := get(t, url+"?token=wrong", nil); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	code, _, body := get(t, url+"?token=t0ken", nil)
	if code != 200 || !strings.Contains(body, "?token=t0ken") {
		t.Errorf("?token=: %d, the playlist's URIs should carry the token:\n%s", code, body)
	}
	code, h, _ = get(t, url, func(r *http.Request) { origin(r); r.SetBasicAuth("viewer", "secret") })
	if code != 200 || h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("Basic: %d %v", code, h)
	}
	if code, _, _ := get(t, url+"?user=viewer&pass=secret", nil); code != 200 {
		t.Errorf("?user=&pass=: %d", code)
	}
	// The media playlist, with the token the multivariant playlist gave it.
	media := mediaPlaylistURL(t, url+"?token=t0ken")
	if code, _, _ := get(t, media, nil); code != 200 {
		t.Errorf("media playlist %s: %d", media, code)
	}

	req, _ := http.NewRequest("OPTIONS", url, nil)
	origin(req)
	req.Header.Set("Access-Control-Request-Method", "GET")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Methods") != "GET, OPTIONS" || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
	}

	// The player page needs the credentials; the public hls.js does not.
	root := "http://" + s.Addr().String()
	if code, _, _ := get(t, root+"/cam1/sub/", nil); code != 401 {
		t.Errorf("player page without credentials: %d", code)
	}
	code, _, body = get(t, root+"/cam1/sub/?token=t0ken", nil)
	if code != 200 || !strings.Contains(body, "<video") || !strings.Contains(body, "hls.light.min.js") || !strings.Contains(body, "lowLatencyMode: true") {
		t.Errorf("player page: %d\n%s", code, body)
	}
	code, h, body = get(t, root+"/cam1/sub/hls.light.min.js", nil)
	if code != 200 || len(body) != len(hlsJS) || !strings.HasPrefix(h.Get("Content-Type"), "application/javascript") {
		t.Errorf("hls.js: %d %d bytes", code, len(body))
	}
	// /<path> goes to the player page, with its query.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = noRedirect.Get(root + "/cam1/sub?token=t0ken")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	noRedirect.CloseIdleConnections()
	if res.StatusCode != 302 || res.Header.Get("Location") != "/cam1/sub/?token=t0ken" {
		t.Errorf("/cam1/sub: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// A muxer nobody asks for is closed after IdleTimeout, and its hub reader
// with it; a changed or closed stream closes its muxer too.
func TestMuxerLifetime(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	st, desc := publishClip(t, hub, "cam1/sub", "cam1080p25.h264")
	s := newTestServer(t, hub, func(c *Config) { c.IdleTimeout = 500 * time.Millisecond })

	if code, _, body := get(t, s.URL("cam1/sub"), nil); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if s.Muxers() != 1 || st.Stats().Readers != 1 {
		t.Fatalf("muxers %d, readers %d", s.Muxers(), st.Stats().Readers)
	}
	start := time.Now()
	eventually(t, "the idle muxer closed", func() bool { return s.Muxers() == 0 && st.Stats().Readers == 0 })
	t.Logf("idle muxer closed %v after the last request (IdleTimeout 500ms)", time.Since(start).Round(time.Millisecond))

	// Another format: the muxer closes; the next request makes a new one.
	if code, _, _ := get(t, s.URL("cam1/sub"), nil); code != 200 {
		t.Fatal(code)
	}
	d2 := desc
	d2.Key = "another"
	st.SetDescription(d2)
	eventually(t, "the muxer of a changed stream closed", func() bool { return s.Muxers() == 0 })
	if code, _, _ := get(t, s.URL("cam1/sub"), nil); code != 200 || s.Muxers() != 1 {
		t.Fatalf("after a format change: %d, %d muxers", code, s.Muxers())
	}
	st.Close()
	eventually(t, "the muxer of a closed stream closed", func() bool { return s.Muxers() == 0 })
	if code, _, _ := get(t, s.URL("cam1/sub"), nil); code != 404 {
		t.Errorf("a closed stream: %d", code)
	}
}

// Close releases a request that waits in a blocking playlist reload.
func TestCloseReleasesBlockedRequests(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	publishClip(t, hub, "cam1/sub", "cam1080p25.h264")
	s, err := NewServer(Config{Address: "127.0.0.1:0"}, hub)
	if err != nil {
		t.Fatal(err)
	}
	media := mediaPlaylistURL(t, s.URL("cam1/sub"))
	_, _, body := get(t, media, nil)
	msn := regexp.MustCompile(`#EXT-X-MEDIA-SEQUENCE:(\d+)`).FindStringSubmatch(body)
	if msn == nil {
		t.Fatalf("no media sequence:\n%s", body)
	}
	var n int
	fmt.Sscan(msn[1], &n)
	// The segment after the next one's first part: a wait of a few seconds.
	done := make(chan error, 1)
	go func() {
		res, err := http.Get(fmt.Sprintf("%s?_HLS_msn=%d&_HLS_part=0", media, n+strings.Count(body, "#EXTINF")+1))
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // lets the request start; either order passes
	s.Close()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatal("a blocked request outlived Close")
	}
	if s.Muxers() != 0 {
		t.Fatal("muxers after Close")
	}
	s.Close() // idempotent
	http.DefaultClient.CloseIdleConnections()
}

func TestNewServerFailsCleanly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if s, err := NewServer(Config{Address: ln.Addr().String()}, stream.NewHub()); err == nil {
		s.Close()
		t.Fatal("listening on a port in use succeeded")
	}
	if _, err := NewServer(Config{Address: "127.0.0.1:0"}, nil); err == nil {
		t.Fatal("no hub: no error")
	}
}

// 200 clients poll one path's playlist and parts; all get 200s.
func TestManyClients(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	publishClip(t, hub, "cam1/sub", "cam1080p25.h264")
	s := newTestServer(t, hub, nil)
	media := mediaPlaylistURL(t, s.URL("cam1/sub"))
	base := media[:strings.LastIndexByte(media, '/')+1]
	partRE := regexp.MustCompile(`#EXT-X-PART:[^\n]*URI="([^"]+)"`)
	eventually(t, "parts", func() bool { _, _, b := get(t, media, nil); return partRE.MatchString(b) })

	const clients = 200
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: limit}
	var requests, failures atomic.Int64
	var firstFailure atomic.Value
	fail := func(s string) {
		failures.Add(1)
		firstFailure.CompareAndSwap(nil, s)
	}
	fetch := func(u string) string {
		res, err := client.Get(u)
		requests.Add(1)
		if err != nil {
			fail(err.Error())
			return ""
		}
		defer res.Body.Close()
		var b bytes.Buffer
		_, err = b.ReadFrom(res.Body)
		if res.StatusCode != 200 || err != nil {
			fail(fmt.Sprintf("GET %s: %d %v", u, res.StatusCode, err))
		}
		return b.String()
	}
	cpu0 := cpuTime()
	start := time.Now()
	deadline := start.Add(3 * time.Second)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				pl := fetch(media)
				parts := partRE.FindAllStringSubmatch(pl, -1)
				if len(parts) > 0 {
					fetch(base + parts[len(parts)-1][1])
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	t.Logf("%d clients: %d requests in %v (%.0f req/s), process CPU %v", clients, requests.Load(), el.Round(time.Millisecond),
		float64(requests.Load())/el.Seconds(), (cpuTime() - cpu0).Round(time.Millisecond))
	if failures.Load() > 0 {
		t.Fatalf("%d of %d requests failed; first: %v", failures.Load(), requests.Load(), firstFailure.Load())
	}
}

// The embedded hls.js is the one whose checksum was committed.
func TestEmbeddedHLSJS(t *testing.T) {
	want, err := os.ReadFile("web/hls.light.min.js.sha256")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(want))
	sum := sha256.Sum256(hlsJS)
	if len(f) != 2 || f[1] != hlsJSName || f[0] != hex.EncodeToString(sum[:]) {
		t.Fatalf("embedded hls.js: sha256 %x, committed %q", sum, want)
	}
	if _, err := os.Stat("web/hls.js-LICENSE"); err != nil {
		t.Fatal(err)
	}
}
