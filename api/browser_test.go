package api

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
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

// TestDashboardInChromium loads the dashboard in a real browser: both cameras'
// cards with their pictures, bitrates that move, and a camera's failure shown
// within 10 s.
func TestDashboardInChromium(t *testing.T) {
	var fakes []*fakecam.Camera
	var cams []pipeline.CameraConfig
	for i, hue := range []int{30, 210} {
		// 3 s, not 2: the card shows a 10 s average, which a clip looping
		// evenly into 10 s would hold constant, to the last digit.
		clip, err := demo.Clip(320, 180, 25, 3, 10, hue)
		if err != nil {
			t.Fatal(err)
		}
		fake, err := fakecam.Start(fakecam.Config{Clip: clip})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(fake.Close)
		fakes = append(fakes, fake)
		cams = append(cams, pipeline.CameraConfig{Name: []string{"porch", "yard"}[i], URL: fake.URL(), Sub: pipeline.DefaultSub, StallTimeout: 2 * time.Second})
	}
	gw, err := pipeline.StartGateway(pipeline.Config{RTSP: rtsp.ServerConfig{Address: "127.0.0.1:0"}, Cameras: cams,
		Grids: []pipeline.GridConfig{{Name: "both", Cameras: []string{"porch", "yard"}}}}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	doc, _ := conf.NewDocument("cameras: {}")
	srv, err := New(Config{Address: "127.0.0.1:0", Version: "test"}, gw, doc, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url := "http://" + srv.Addr().String() + "/"
	time.Sleep(3 * time.Second) // let the cameras connect and the rates fill

	dom := chromium(t, url, "")
	first := map[string]string{}
	for _, name := range []string{"porch", "yard"} {
		card := cardOf(dom, "camera-"+name)
		if card == "" {
			t.Fatalf("no card for %s in the page:\n%s", name, dom)
		}
		if !strings.Contains(card, `data-loaded="1"`) || !strings.Contains(card, `class="state ready"`) {
			t.Errorf("%s's card has no picture or is not ready:\n%s", name, card)
		}
		if !strings.Contains(card, "rtsp://") || !strings.Contains(card, "/"+name+"/sub") {
			t.Errorf("%s's card lacks its stream URLs", name)
		}
		m := inField.FindStringSubmatch(card)
		if m == nil || strings.HasPrefix(m[1], "0,") {
			t.Errorf("%s's card shows no input bitrate: %v", name, m)
		} else {
			first[name] = m[1]
		}
	}
	if grid := cardOf(dom, "grid-both"); !strings.Contains(grid, "rtsp://") || !strings.Contains(grid, `data-loaded="1"`) {
		t.Errorf("no grid card, or no picture in it:\n%s", grid)
	}

	// Rates move: a second look shows other figures.
	time.Sleep(2 * time.Second)
	dom = chromium(t, url, "")
	changed := false
	for name, v := range first {
		card := cardOf(dom, "camera-"+name)
		if m := inField.FindStringSubmatch(card); m != nil && m[1] != v {
			changed = true
		}
		// The second page gets pictures too: snapshots of the same size,
		// asked again, once failed after the first.
		if !strings.Contains(card, `data-loaded="1"`) {
			t.Errorf("%s's card has no picture in the second page", name)
		}
	}
	if !changed {
		t.Errorf("bitrates did not change between two loads: %v", first)
	}

	// The yard camera dies: its card shows it within 10 s.
	// A page shows what it fetched right after it was opened: what counts is
	// when the browser that sees the failure was started.
	fakes[1].Close()
	start := time.Now()
	for {
		opened := time.Since(start)
		if opened > 10*time.Second {
			t.Fatal("the yard card still looked healthy in every page opened within 10 s of its camera stopping")
		}
		card := cardOf(chromium(t, url, ""), "camera-yard")
		if !strings.Contains(card, `class="state ready"`) && strings.Contains(card, `class="error"`) {
			t.Logf("failure shown by a page opened %v after the camera stopped", opened.Round(100*time.Millisecond))
			break
		}
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
