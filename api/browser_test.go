package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/rtsp/fakecam"
)

// chromium runs Debian's Chromium headless on url and returns the page's DOM
// after its scripts ran, or saves a screenshot when shot is set.
func chromium(t *testing.T, url, shot string) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("Debian's chromium is not installed: run `make test-deps` (scripts/test-deps.sh)")
	}
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(), "--window-size=1280,1000"}
	if shot != "" {
		// Long enough for the pictures to arrive before the shot.
		args = append(args, "--timeout=7000", "--screenshot="+shot)
	} else {
		args = append(args, "--virtual-time-budget=3000")
		args = append(args, "--dump-dom")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, append(args, url)...).Output()
	if err != nil {
		t.Fatalf("chromium %s: %v", url, err)
	}
	return string(out)
}

// cardOf cuts one card out of the dumped DOM.
func cardOf(dom, id string) string {
	i := strings.Index(dom, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := dom[i:]
	if j := strings.Index(rest[1:], `<div class="card`); j >= 0 {
		return rest[:j+1]
	}
	return rest
}

var inField = regexp.MustCompile(`data-field="in">([^<]*)<`)

// pageLoads records what the API served to each page load of the browser:
// the /v1/cameras answers and each camera's snapshots. Requests made while
// load is 0 (the test's own) are not recorded.
type pageLoads struct {
	mu    sync.Mutex
	load  int
	cams  map[int][][]cameraView
	snaps map[int]map[string][][]byte
}

type teeWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *teeWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *teeWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (p *pageLoads) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		load := p.load
		p.mu.Unlock()
		tw := &teeWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(tw, r)
		if load == 0 || tw.status != http.StatusOK {
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		switch {
		case r.URL.Path == "/v1/cameras":
			var list []cameraView
			if json.Unmarshal(tw.body.Bytes(), &list) == nil {
				p.cams[load] = append(p.cams[load], list)
			}
		case strings.HasPrefix(r.URL.Path, "/v1/cameras/") && strings.HasSuffix(r.URL.Path, "/snapshot.jpg"):
			name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/cameras/"), "/snapshot.jpg")
			if p.snaps[load] == nil {
				p.snaps[load] = map[string][][]byte{}
			}
			p.snaps[load][name] = append(p.snaps[load][name], bytes.Clone(tw.body.Bytes()))
		}
	})
}

// open loads url in Chromium as page load n and returns the page's DOM.
func (p *pageLoads) open(t *testing.T, n int, url string) string {
	p.mu.Lock()
	p.load = n
	p.mu.Unlock()
	dom := chromium(t, url, "")
	p.mu.Lock()
	p.load = 0
	p.mu.Unlock()
	return dom
}

// shownRate reports whether a card's "in" text ("166 kbit/s, 25.0 fps") is
// what the dashboard shows for bit/s and fps, within the display's rounding
// (a kbit/s, a hundredth of Mbit/s, a tenth of a frame per second).
func shownRate(text string, bits, fps float64) bool {
	var v, f float64
	var unit string
	if _, err := fmt.Sscanf(text, "%g %s %g fps", &v, &unit, &f); err != nil {
		return false
	}
	const slack = 1e-9
	switch strings.TrimSuffix(unit, ",") {
	case "kbit/s":
		if math.Abs(v-bits/1e3) > 0.5+slack {
			return false
		}
	case "Mbit/s":
		if math.Abs(v-bits/1e6) > 0.005+slack {
			return false
		}
	default:
		return false
	}
	return math.Abs(f-fps) <= 0.05+slack
}

// meanCb is the mean blue-difference chroma of a JPEG picture, -1 when it
// does not decode.
func meanCb(b []byte) float64 {
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		return -1
	}
	yc, ok := img.(*image.YCbCr)
	if !ok || len(yc.Cb) == 0 {
		return -1
	}
	sum := 0
	for _, v := range yc.Cb {
		sum += int(v)
	}
	return float64(sum) / float64(len(yc.Cb))
}

// TestDashboardInChromium loads the dashboard in a real browser: both cameras'
// cards with their pictures, each camera's input bitrate as the API gave it
// to that page, pictures that follow what the cameras show from one load to
// the next, and a camera's failure.
func TestDashboardInChromium(t *testing.T) {
	var fakes []*fakecam.Camera
	var cams []pipeline.CameraConfig
	names := []string{"porch", "yard"}
	// Each camera's hue, then the opposite one it switches to between the
	// two loads: Cb above 128, then below, or the reverse.
	hues := [][2]int{{30, 210}, {210, 30}}
	var next []fakecam.Clip
	for i, hue := range hues {
		clip, err := demo.Clip(320, 180, 25, 3, 10, hue[0])
		if err != nil {
			t.Fatal(err)
		}
		other, err := demo.Clip(320, 180, 25, 3, 10, hue[1])
		if err != nil {
			t.Fatal(err)
		}
		next = append(next, other)
		fake, err := fakecam.Start(fakecam.Config{Clip: clip})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(fake.Close)
		fakes = append(fakes, fake)
		cams = append(cams, pipeline.CameraConfig{Name: names[i], URL: fake.URL(), Sub: pipeline.DefaultSub, StallTimeout: 2 * time.Second})
	}
	gw, err := pipeline.StartGateway(pipeline.Config{RTSP: rtsp.ServerConfig{Address: "127.0.0.1:0"}, Cameras: cams,
		Grids: []pipeline.GridConfig{{Name: "both", Cameras: names}}}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	doc, _ := conf.NewDocument("cameras: {}")
	srv, err := New(Config{Address: "127.0.0.1:0", Version: "test"}, gw, doc, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	loads := &pageLoads{cams: map[int][][]cameraView{}, snaps: map[int]map[string][][]byte{}}
	srv.http.Handler = loads.wrap(srv.http.Handler)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url := "http://" + srv.Addr().String() + "/"

	// until waits for cond, polling; the deadline only bounds a wait.
	until := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 60 s", what)
			}
		}
	}
	until("both cameras ready with an input bitrate", func() bool {
		for _, n := range names {
			if st := gw.Camera(n).Stats(); st.State != pipeline.StateReady || st.Bitrate10s == 0 {
				return false
			}
		}
		return true
	})
	// snapshotCb asks the API for a camera's picture, as the page does.
	snapshotCb := func(name string) float64 {
		res, err := http.Get("http://" + srv.Addr().String() + "/v1/cameras/" + name + "/snapshot.jpg?width=480")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			return -1
		}
		return meanCb(b)
	}
	t.Cleanup(http.DefaultClient.CloseIdleConnections)

	// checkPage checks page load n: each camera's card is ready, with its
	// stream URLs, an input bitrate that one of the /v1/cameras answers to
	// this page gave, and a picture this page fetched whose colour is the
	// camera's (Cb above 128 when above is set).
	checkPage := func(n int, dom string, above map[string]bool) map[string][]byte {
		t.Helper()
		loads.mu.Lock()
		answers, snaps := loads.cams[n], loads.snaps[n]
		loads.mu.Unlock()
		if len(answers) == 0 {
			t.Fatalf("page %d never asked /v1/cameras", n)
		}
		pictures := map[string][]byte{}
		for _, name := range names {
			card := cardOf(dom, "camera-"+name)
			if card == "" {
				t.Fatalf("page %d: no card for %s in the page:\n%s", n, name, dom)
			}
			if !strings.Contains(card, `data-loaded="1"`) || !strings.Contains(card, `class="state ready"`) {
				t.Errorf("page %d: %s's card has no picture or is not ready:\n%s", n, name, card)
			}
			if !strings.Contains(card, "rtsp://") || !strings.Contains(card, "/"+name+"/sub") {
				t.Errorf("page %d: %s's card lacks its stream URLs", n, name)
			}
			m := inField.FindStringSubmatch(card)
			var given []string
			shown := false
			for _, list := range answers {
				for _, c := range list {
					if c.Name == name {
						given = append(given, fmt.Sprintf("%.0f bit/s %.2f fps", c.Bitrate10s, c.FPSIn))
						if m != nil && c.Bitrate10s > 0 && shownRate(m[1], c.Bitrate10s, c.FPSIn) {
							shown = true
						}
					}
				}
			}
			if !shown {
				t.Errorf("page %d: %s's card shows %v, not one of the input rates the API gave it: %v", n, name, m, given)
			}
			pics := snaps[name]
			if len(pics) == 0 {
				t.Errorf("page %d: %s's picture was never fetched", n, name)
				continue
			}
			pic := pics[len(pics)-1]
			if cb := meanCb(pic); cb < 0 || (cb > 128) != above[name] {
				t.Errorf("page %d: %s's picture has mean Cb %.1f, want it %s 128 (the camera's clip)", n, name, cb,
					map[bool]string{true: "above", false: "below"}[above[name]])
			}
			pictures[name] = pic
		}
		return pictures
	}

	dom := loads.open(t, 1, url)
	first := checkPage(1, dom, map[string]bool{"porch": true, "yard": false})
	if grid := cardOf(dom, "grid-both"); !strings.Contains(grid, "rtsp://") || !strings.Contains(grid, `data-loaded="1"`) {
		t.Errorf("no grid card, or no picture in it:\n%s", grid)
	}

	// The cameras change what they show: the next page shows the new
	// pictures, not the first ones again. (Snapshots of the same size, asked
	// again, once failed after the first.)
	for i, fake := range fakes {
		fake.SetClip(next[i])
	}
	until("both cameras' snapshots in their new colours", func() bool {
		porch, yard := snapshotCb("porch"), snapshotCb("yard")
		return porch >= 0 && porch < 128 && yard > 128
	})
	dom = loads.open(t, 2, url)
	second := checkPage(2, dom, map[string]bool{"porch": false, "yard": true})
	for _, name := range names {
		if first[name] != nil && bytes.Equal(first[name], second[name]) {
			t.Errorf("%s: the second page got the first page's picture again", name)
		}
	}

	// The yard camera dies: the API reports it within 10 s, and a page
	// opened then shows it.
	fakes[1].Close()
	start := time.Now()
	for gw.Camera("yard").Stats().State == pipeline.StateReady {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the yard camera still ready 10 s after it stopped")
		}
		time.Sleep(20 * time.Millisecond)
	}
	card := cardOf(loads.open(t, 3, url), "camera-yard")
	if strings.Contains(card, `class="state ready"`) || !strings.Contains(card, `class="error"`) {
		t.Errorf("the yard card looks healthy in a page opened after its camera stopped:\n%s", card)
	}

	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "bin", "test-artifacts")
	os.MkdirAll(dir, 0o755)
	shot := filepath.Join(dir, "dashboard.png")
	chromium(t, url, shot)
	if st, err := os.Stat(shot); err != nil || st.Size() < 10_000 {
		t.Errorf("screenshot %s: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)
}
