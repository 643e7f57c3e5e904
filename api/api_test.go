package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/rtsp/rtsptest"
	"github.com/camgate/camgate/transcode"
)

func TestMain(m *testing.M) {
	transcode.SetLogHandler(transcode.LogError, nil)
	// The test's own HTTP client keeps idle connections; they are not camgate's.
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"))
}

const (
	token  = "t0ken"
	secret = "hunter2" // camera password: must never be shown
)

// solid is a 2 s clip of one colour at 320x180, a keyframe every 10 frames.
func solid(t *testing.T, y, cb, cr byte) fakecam.Clip {
	t.Helper()
	clip, err := demo.SolidClip(320, 180, 25, 2, 10, y, cb, cr)
	if err != nil {
		t.Fatal(err)
	}
	return clip
}

// syncBuffer collects log lines from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	t     *testing.T
	fakes []*fakecam.Camera
	gw    *pipeline.Gateway
	srv   *Server
	doc   *conf.Document
	path  string
	base  string
	logs  *syncBuffer
}

// newFixture runs three fake cameras (red, green, blue) behind a gateway
// configured from a file, with the API in front.
func newFixture(t *testing.T) *fixture {
	fx := &fixture{t: t, logs: &syncBuffer{}}
	t.Cleanup(http.DefaultClient.CloseIdleConnections) // no keep-alive goroutine outlives the test
	var yml strings.Builder
	yml.WriteString("# cameras of the test\nrtsp:\n  listen: 127.0.0.1:0\n  udp_rtp: off\ncameras:\n")
	for i, c := range [][3]byte{{81, 90, 240}, {145, 54, 34}, {41, 240, 110}} {
		fake, err := fakecam.Start(fakecam.Config{Clip: solid(t, c[0], c[1], c[2])})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(fake.Close)
		fx.fakes = append(fx.fakes, fake)
		url := strings.Replace(fake.URL(), "rtsp://", "rtsp://admin:"+secret+"@", 1)
		fmt.Fprintf(&yml, "  cam%d:   # camera %d\n    url: %s\n    stall_timeout: 2s\n", i, i, url)
	}
	fx.path = filepath.Join(t.TempDir(), "camgate.yml")
	if err := os.WriteFile(fx.path, []byte(yml.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	if fx.doc, err = conf.LoadDocument(fx.path); err != nil {
		t.Fatal(err)
	}
	f, err := fx.doc.Parse()
	if err != nil {
		t.Fatal(err)
	}
	log := zerolog.New(fx.logs)
	if fx.gw, err = pipeline.StartGateway(f.Config, log); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fx.gw.Close() })
	if fx.srv, err = New(Config{Address: "127.0.0.1:0", Token: token, Version: "test"}, fx.gw, fx.doc, log); err != nil {
		t.Fatal(err)
	}
	if err := fx.srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fx.srv.Close() })
	fx.base = "http://" + fx.srv.Addr().String()
	for i := range fx.fakes {
		fx.waitReady(fmt.Sprintf("cam%d", i))
	}
	return fx
}

func (fx *fixture) waitReady(name string) {
	fx.t.Helper()
	if !eventually(func() bool { c := fx.gw.Camera(name); return c != nil && c.Stats().State == pipeline.StateReady }) {
		fx.t.Fatalf("camera %s not ready within %v", name, patience)
	}
}

// patience bounds waiting for something that must happen: generous, for a
// loaded machine, as it bounds a wait and asserts no speed.
const patience = 60 * time.Second

// eventually polls cond until it holds (true) or patience runs out (false).
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(patience); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// do sends a request with the token and returns status and body.
func (fx *fixture) do(method, path, body string) (int, []byte) {
	fx.t.Helper()
	req, err := http.NewRequest(method, fx.base+path, strings.NewReader(body))
	if err != nil {
		fx.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fx.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func TestAPIReadAndAuth(t *testing.T) {
	fx := newFixture(t)

	res, err := http.Get(fx.base + "/v1/cameras")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var e apiError
	if res.StatusCode != 401 || json.Unmarshal(b, &e) != nil || !strings.Contains(e.Error, "token") {
		t.Errorf("no token: %d %s, want 401 with a JSON error", res.StatusCode, b)
	}
	if res, err := http.Get(fx.base + "/healthz"); err != nil || res.StatusCode != 200 {
		t.Errorf("healthz without token: %v %v", res, err)
	}

	code, body := fx.do("GET", "/v1/cameras", "")
	var cams []cameraView
	if code != 200 || json.Unmarshal(body, &cams) != nil || len(cams) != 3 {
		t.Fatalf("GET /v1/cameras: %d %s", code, body)
	}
	c := cams[0]
	if c.Name != "cam0" || c.State != pipeline.StateReady || c.Config.Sub == nil || c.Config.Sub.Size != "640x360" ||
		!strings.HasSuffix(c.URLs["sub"], "/cam0/sub") || !strings.Contains(c.Config.URL, "admin:xxxxx@") {
		t.Errorf("camera view: %+v", c)
	}
	if bytes.Contains(body, []byte(secret)) {
		t.Error("GET /v1/cameras shows the camera password")
	}
	for path, want := range map[string]int{"/v1/cameras/cam1": 200, "/v1/cameras/nope": 404, "/v1/grids": 200, "/v1/grids/nope": 404, "/v1/nothing": 404, "/readyz": 200} {
		if code, body := fx.do("GET", path, ""); code != want || !json.Valid(body) {
			t.Errorf("GET %s: %d %s, want %d and JSON", path, code, body, want)
		}
	}

	// readyz: one camera down makes it 503, unless a share is enough.
	fx.fakes[2].Close()
	eventually(func() bool { code, _ := fx.do("GET", "/readyz", ""); return code == 503 })
	if code, body := fx.do("GET", "/readyz", ""); code != 503 || !strings.Contains(string(body), "cam2") {
		t.Errorf("readyz with cam2 down: %d %s", code, body)
	}
	if code, _ := fx.do("GET", "/readyz?min=0.6", ""); code != 200 {
		t.Errorf("readyz?min=0.6 with 2 of 3 ready: %d", code)
	}
	if code, _ := fx.do("GET", "/readyz?min=lots", ""); code != 400 {
		t.Errorf("readyz?min=lots: %d, want 400", code)
	}
	if strings.Contains(fx.logs.String(), secret) {
		t.Error("the logs show the camera password")
	}
}

func TestAPIRefusesOpenAddressWithoutToken(t *testing.T) {
	if _, err := New(Config{Address: "0.0.0.0:0"}, nil, nil, zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("0.0.0.0 without a token: %v, want a refusal", err)
	}
}

func TestSnapshot(t *testing.T) {
	fx := newFixture(t)
	for _, tc := range []struct {
		query string
		w, h  int
	}{{"", 320, 180}, {"?width=160", 160, 90}, {"?width=160", 160, 90}, {"", 320, 180}, {"", 320, 180}} {
		code, body := fx.do("GET", "/v1/cameras/cam0/snapshot.jpg"+tc.query, "")
		if code != 200 {
			t.Fatalf("snapshot%s: %d %s", tc.query, code, body)
		}
		img, err := jpeg.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("snapshot%s does not decode: %v", tc.query, err)
		}
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("snapshot%s: %dx%d, want %dx%d", tc.query, b.Dx(), b.Dy(), tc.w, tc.h)
		}
		r, g, bl, _ := img.At(tc.w/2, tc.h/2).RGBA()
		if r>>8 < 180 || g>>8 > 70 || bl>>8 > 70 {
			t.Errorf("snapshot%s: centre RGB %d,%d,%d, want the camera's red", tc.query, r>>8, g>>8, bl>>8)
		}
	}
	for q, want := range map[string]int{"?width=abc": 400, "?width=5": 400} {
		if code, _ := fx.do("GET", "/v1/cameras/cam0/snapshot.jpg"+q, ""); code != want {
			t.Errorf("snapshot%s: %d, want %d", q, code, want)
		}
	}
	if code, _ := fx.do("GET", "/v1/cameras/nope/snapshot.jpg", ""); code != 404 {
		t.Errorf("snapshot of an unknown camera: %d", code)
	}

	// A grid's snapshot: the mosaic, cam0's red in the left tile of a 2x1.
	if code, b := fx.do("POST", "/v1/grids", `{"name": "pair", "cameras": ["cam0", "cam1"], "size": "640x360"}`); code != 201 {
		t.Fatalf("POST grid: %d %s", code, b)
	}
	var code int
	var body []byte
	for i := 0; i < 3; i++ { // a dashboard asks again and again
		if code, body = fx.do("GET", "/v1/grids/pair/snapshot.jpg?width=320", ""); code != 200 {
			t.Fatalf("grid snapshot %d: %d %s", i, code, body)
		}
	}
	img, err := jpeg.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("grid snapshot does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 320 || b.Dy() != 180 {
		t.Errorf("grid snapshot: %v, want 320x180", b)
	}
	if r, g, bl, _ := img.At(80, 90).RGBA(); r>>8 < 180 || g>>8 > 70 || bl>>8 > 70 {
		t.Errorf("grid snapshot: left tile RGB %d,%d,%d, want cam0's red", r>>8, g>>8, bl>>8)
	}
	if code, _ := fx.do("GET", "/v1/grids/nope/snapshot.jpg", ""); code != 404 {
		t.Errorf("snapshot of an unknown grid: %d", code)
	}
}

func scrape(t *testing.T, fx *fixture) (map[string]float64, string) {
	t.Helper()
	code, body := fx.do("GET", "/metrics", "")
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("metrics do not parse: %v", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			key := name
			for _, l := range m.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			}
		}
	}
	return out, string(body)
}

func TestMetrics(t *testing.T) {
	fx := newFixture(t)
	a, text := scrape(t, fx)
	counters := []string{"camgate_camera_frames_total,camera=cam0", "camgate_camera_received_bytes_total,camera=cam1", "camgate_camera_decoded_frames_total,camera=cam2"}
	var b map[string]float64
	eventually(func() bool {
		b, _ = scrape(t, fx)
		for _, k := range counters {
			if !(b[k] > a[k]) {
				return false
			}
		}
		return true
	})
	for _, k := range counters {
		if !(b[k] > a[k]) {
			t.Errorf("%s did not increase within %v: %v then %v", k, patience, a[k], b[k])
		}
	}
	if a["camgate_camera_state,camera=cam0,state=ready"] != 1 {
		t.Error("camera state gauge does not say ready")
	}
	// The hub's count of what slow readers lost, per stream: none here.
	for _, k := range []string{"camgate_output_reader_drops_total,path=cam0/sub", "camgate_output_reader_drops_total,path=cam1/main"} {
		if v, ok := b[k]; !ok || v != 0 {
			t.Errorf("%s = %v (present %v), want 0", k, v, ok)
		}
	}
	for _, k := range []string{"process_open_fds", "go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := a[k]; !ok {
			t.Errorf("standard metric %s missing", k)
		}
	}
	if strings.Contains(text, secret) {
		t.Error("metrics show the camera password")
	}
}

// TestLiveReconfiguration adds a camera and removes another through the API:
// the two others keep their camera session, readers and counters, and the
// file is rewritten with its comments.
func TestLiveReconfiguration(t *testing.T) {
	fx := newFixture(t)
	r0 := rtsptest.Play(t, fx.gw.Server().URL("cam0/sub"))
	r1 := rtsptest.Play(t, fx.gw.Server().URL("cam1/main"))
	if !eventually(func() bool { return r0.Stats().Packets > 0 && r1.Stats().Packets > 0 }) {
		t.Fatalf("readers of cam0 and cam1 got nothing: %d, %d packets", r0.Stats().Packets, r1.Stats().Packets)
	}
	before0, before1 := fx.gw.Camera("cam0").Stats(), fx.gw.Camera("cam1").Stats()

	fake3, err := fakecam.Start(fakecam.Config{Clip: solid(t, 210, 16, 146)})
	if err != nil {
		t.Fatal(err)
	}
	defer fake3.Close()
	body := fmt.Sprintf(`{"name": "cam3", "url": %q, "sub": {"size": "320x180", "fps": 5}}`, fake3.URL())
	if code, b := fx.do("POST", "/v1/cameras", body); code != 201 {
		t.Fatalf("POST camera: %d %s", code, b)
	}
	if code, b := fx.do("DELETE", "/v1/cameras/cam2", ""); code != 204 {
		t.Fatalf("DELETE camera: %d %s", code, b)
	}
	fx.waitReady("cam3")
	if fx.gw.Camera("cam2") != nil {
		t.Error("cam2 still runs")
	}
	p0, p1 := r0.Stats().Packets, r1.Stats().Packets
	eventually(func() bool {
		return r0.Stats().Packets > p0 && r1.Stats().Packets > p1 &&
			fx.gw.Camera("cam0").Stats().FramesIn > before0.FramesIn && fx.gw.Camera("cam1").Stats().FramesIn > before1.FramesIn
	})
	if r0.Stats().Packets <= p0 || r1.Stats().Packets <= p1 {
		t.Errorf("readers of cam0 and cam1 stopped receiving: %d→%d, %d→%d", p0, r0.Stats().Packets, p1, r1.Stats().Packets)
	}
	for i, before := range []pipeline.CameraStats{before0, before1} {
		after := fx.gw.Camera(before.Name).Stats()
		if after.Reconnects != before.Reconnects || after.FramesIn <= before.FramesIn {
			t.Errorf("%s was touched: reconnects %d→%d, frames %d→%d", before.Name, before.Reconnects, after.Reconnects, before.FramesIn, after.FramesIn)
		}
		if total, _ := fx.fakes[i].Sessions(); total != 1 {
			t.Errorf("%s: fake camera saw %d sessions, want 1 (no reconnect)", before.Name, total)
		}
	}

	saved, err := os.ReadFile(fx.path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(saved)
	if !strings.Contains(s, "# cameras of the test") || !strings.Contains(s, "# camera 0") || !strings.Contains(s, "cam3:") || strings.Contains(s, "cam2:") {
		t.Errorf("saved file:\n%s", s)
	}
	if f, err := conf.Load(fx.path); err != nil || len(f.Cameras) != 3 {
		t.Errorf("saved file does not load back: %v", err)
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(fx.path), ".camgate.yml.*"))
	if len(matches) != 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}

	// Bad requests change nothing and say why.
	for _, tc := range []struct {
		method, path, body string
		code               int
		mention            string
	}{
		{"POST", "/v1/cameras", `{"url": "rtsp://x/y"}`, 400, "name"},
		{"POST", "/v1/cameras", `{"name": "bad", "url": "http://x/y"}`, 400, "scheme"},
		{"POST", "/v1/cameras", `{"name": "bad", "url": "rtsp://x/y", "sub": {"size": "huge"}}`, 400, "size"},
		{"POST", "/v1/cameras", `not json`, 400, "JSON"},
		{"POST", "/v1/cameras", `{"name": "cam0", "url": "rtsp://x/y"}`, 409, "exists"},
		{"PUT", "/v1/cameras/ghost", `{"url": "rtsp://x/y"}`, 404, "ghost"},
		{"DELETE", "/v1/cameras/ghost", ``, 404, "ghost"},
	} {
		code, b := fx.do(tc.method, tc.path, tc.body)
		if code != tc.code || !strings.Contains(string(b), tc.mention) {
			t.Errorf("%s %s %s: %d %s, want %d mentioning %q", tc.method, tc.path, tc.body, code, b, tc.code, tc.mention)
		}
	}
	if after, _ := os.ReadFile(fx.path); string(after) != s {
		t.Error("a refused request changed the file")
	}

	// PUT changes a camera: it restarts with the new settings.
	if code, b := fx.do("PUT", "/v1/cameras/cam3", fmt.Sprintf(`{"url": %q, "sub": "off"}`, fake3.URL())); code != 200 {
		t.Fatalf("PUT camera: %d %s", code, b)
	}
	if c := fx.gw.Camera("cam3"); c == nil || c.Config().Sub.Enabled {
		t.Error("PUT did not apply: cam3 still has a sub stream")
	}
	// Grids through the API.
	if code, b := fx.do("POST", "/v1/grids", `{"name": "wall", "cameras": ["cam0", "cam1", "cam3"]}`); code != 201 {
		t.Fatalf("POST grid: %d %s", code, b)
	}
	if code, b := fx.do("POST", "/v1/grids", `{"name": "bad", "cameras": ["cam9"]}`); code != 400 || !strings.Contains(string(b), "cam9") {
		t.Errorf("POST grid with an unknown camera: %d %s", code, b)
	}
	if code, b := fx.do("DELETE", "/v1/cameras/cam0", ""); code != 400 || !strings.Contains(string(b), "wall") {
		t.Errorf("DELETE a camera a grid uses: %d %s, want 400 naming the grid", code, b)
	}
	if code, _ := fx.do("DELETE", "/v1/grids/wall", ""); code != 204 {
		t.Errorf("DELETE grid: %d", code)
	}
}
