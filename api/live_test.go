package api

import (
	"encoding/json"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/demo"
	"github.com/camgate/camgate/hls"
	"github.com/camgate/camgate/internal/browsertest"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/webrtc"
)

// liveFixture is a gateway with its browser listeners: one 1280×720 camera
// ("cam", sub 640×360) and a 640×360 grid of it and a second camera.
type liveFixture struct {
	fakes  []*fakecam.Camera
	gw     *pipeline.Gateway
	webrtc *webrtc.Server
	hls    *hls.Server
}

func startLive(t *testing.T) *liveFixture {
	t.Helper()
	fx := &liveFixture{}
	var cams []pipeline.CameraConfig
	for i, size := range [][2]int{{1280, 720}, {320, 180}} {
		clip, err := demo.Clip(size[0], size[1], 25, 4, 25, 90*i)
		if err != nil {
			t.Fatal(err)
		}
		fake, err := fakecam.Start(fakecam.Config{Clip: clip})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(fake.Close)
		fx.fakes = append(fx.fakes, fake)
		name := []string{"cam", "cam2"}[i]
		cams = append(cams, pipeline.CameraConfig{Name: name, URL: fake.URL(), Sub: pipeline.DefaultSub, StallTimeout: 2 * time.Second})
	}
	grid := pipeline.GridConfig{Name: "wall", Cameras: []string{"cam", "cam2"}, Output: pipeline.DefaultGridOutput}
	grid.Output.Width, grid.Output.Height = 640, 360
	var err error
	fx.gw, err = pipeline.StartGateway(pipeline.Config{RTSP: rtsp.ServerConfig{Address: "127.0.0.1:0"}, Cameras: cams,
		Grids: []pipeline.GridConfig{grid}}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fx.gw.Close() })
	fx.webrtc, err = webrtc.NewServer(webrtc.Config{Address: "127.0.0.1:0", ICEUDP: "127.0.0.1:0", ICETCP: "127.0.0.1:0", Log: zerolog.Nop()}, fx.gw.Hub())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fx.webrtc.Close() })
	fx.hls, err = hls.NewServer(hls.Config{Address: "127.0.0.1:0", Log: zerolog.Nop()}, fx.gw.Hub())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fx.hls.Close() })
	for _, n := range []string{"cam", "cam2"} {
		deadline := time.Now().Add(60 * time.Second)
		for fx.gw.Camera(n).Stats().State != pipeline.StateReady {
			if time.Now().After(deadline) {
				t.Fatalf("camera %s not ready within 60 s", n)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return fx
}

// playerFiles are the dashboard's player and hls.js, as the dashboard
// serves them.
func playerFiles(t *testing.T) map[string][]byte {
	live, err := os.ReadFile("web/live.js")
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"live.js": live, "hls.min.js": hls.Script()}
}

// playCase is one stream for the page to play, and what it must show.
type playCase struct {
	Name          string            `json:"name"`
	URLs          map[string]string `json:"urls"`    // LivePlayer's: whep, hls
	Generic       string            `json:"generic"` // a WHEP URL for a plain RTCPeerConnection
	Want          string            `json:"want"`    // the protocol that must play
	Width, Height int               `json:"-"`
}

type playResult struct {
	Name       string  `json:"name"`
	Protocol   string  `json:"protocol"`
	Width      int     `json:"width"`
	Height     int     `json:"height"`
	Frames     int     `json:"frames"`
	MoreFrames int     `json:"more_frames"` // frames decoded after the first check
	FirstFrame float64 `json:"first_frame_ms"`
	Error      string  `json:"error"`
}

// playPage plays each case in turn, and posts what each did: the protocol
// that played, the picture's size, the frames decoded (twice, to see them
// grow), the time from the start of the exchange to the first frame.
const playPage = `<!doctype html><meta charset="utf-8"><body>
<script src="/hls.min.js"></script><script src="/live.js"></script>
<script id="cases" type="application/json">CASES</script>
<script>
"use strict";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const frames = (v) => v.getVideoPlaybackQuality().totalVideoFrames;

// generic is a WHEP client with nothing of camgate's: an RTCPeerConnection
// that POSTs its offer and applies the answer (RFC 9725).
async function generic(video, url) {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", {direction: "recvonly"});
  pc.ontrack = (e) => { video.srcObject = new MediaStream([e.track]); };
  await pc.setLocalDescription(await pc.createOffer());
  const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/sdp"}, body: pc.localDescription.sdp});
  if (r.status !== 201) throw new Error("POST: " + r.status + " " + await r.text());
  const location = new URL(r.headers.get("Location"), url).href;
  pc.addEventListener("icecandidate", (e) => {
    if (!e.candidate) return;
    fetch(location, {method: "PATCH", headers: {"Content-Type": "application/trickle-ice-sdpfrag"},
      body: "a=mid:" + e.candidate.sdpMid + "\r\na=" + e.candidate.candidate + "\r\n"}).catch(() => {});
  });
  await pc.setRemoteDescription({type: "answer", sdp: await r.text()});
  video.dataset.protocol = "whep";
  return () => { pc.close(); fetch(location, {method: "DELETE"}); };
}

async function play(c) {
  const video = document.createElement("video");
  video.muted = true; video.autoplay = true; video.playsInline = true; video.width = 320;
  const img = document.createElement("img");
  document.body.append(video, img);
  const res = {name: c.name, first_frame_ms: -1};
  const t0 = performance.now();
  video.requestVideoFrameCallback(() => { res.first_frame_ms = performance.now() - t0; });
  let stop;
  try {
    if (c.generic) {
      stop = await generic(video, c.generic);
    } else {
      const p = new LivePlayer(video, img, c.urls);
      p.start();
      stop = () => p.stop();
    }
    for (const end = Date.now() + 45000; Date.now() < end; await sleep(100)) {
      if (video.videoWidth > 0 && frames(video) >= 10) break;
    }
    res.frames = frames(video);
    for (const end = Date.now() + 20000; Date.now() < end && frames(video) < res.frames + 10; await sleep(100)) {}
    res.more_frames = frames(video) - res.frames;
  } catch (e) {
    res.error = String(e);
  }
  Object.assign(res, {protocol: video.dataset.protocol || "", width: video.videoWidth, height: video.videoHeight,
    error: res.error || video.dataset.error || ""});
  if (stop) stop();
  video.remove(); img.remove();
  return res;
}

(async () => {
  const out = [];
  for (const c of JSON.parse(document.getElementById("cases").textContent)) out.push(await play(c));
  fetch("/result", {method: "POST", body: JSON.stringify(out)});
})();
</script>`

// TestChromiumPlaysEveryPathKind plays a passthrough main, a sub and a grid
// in Debian's Chromium over WebRTC and over LL-HLS, with the dashboard's
// player, and a sub with a plain WHEP client page: each must play (frames
// decoded, and more after) at the stream's own size.
func TestChromiumPlaysEveryPathKind(t *testing.T) {
	fx := startLive(t)
	var cases []playCase
	for _, p := range []struct {
		path          string
		width, height int
	}{{"cam/main", 1280, 720}, {"cam/sub", 640, 360}, {"grid/wall", 640, 360}} {
		whep := strings.TrimSuffix(fx.webrtc.URL(p.path), "/") + "/whep"
		cases = append(cases,
			playCase{Name: p.path + " webrtc", URLs: map[string]string{"whep": whep}, Want: "webrtc", Width: p.width, Height: p.height},
			playCase{Name: p.path + " hls", URLs: map[string]string{"hls": fx.hls.URL(p.path)}, Want: "hls", Width: p.width, Height: p.height})
		if p.path == "cam/sub" {
			cases = append(cases, playCase{Name: p.path + " generic whep", Generic: whep, Want: "whep", Width: p.width, Height: p.height})
		}
	}
	js, _ := json.Marshal(cases)
	var got []playResult
	browsertest.Run(t, browsertest.Page{HTML: strings.Replace(playPage, "CASES", string(js), 1), Files: playerFiles(t)}, 5*time.Minute, &got)
	if len(got) != len(cases) {
		t.Fatalf("the page played %d cases of %d: %+v", len(got), len(cases), got)
	}
	for i, c := range cases {
		r := got[i]
		t.Logf("%-22s %-7s %dx%d, %d then %d more frames, first frame after %.0f ms", r.Name, r.Protocol, r.Width, r.Height, r.Frames, r.MoreFrames, r.FirstFrame)
		if r.Protocol != c.Want || r.Width != c.Width || r.Height != c.Height || r.Frames < 10 || r.MoreFrames < 10 {
			t.Errorf("%s: played %q %dx%d, %d then %d more frames (error %q); want %s at %dx%d, frames growing",
				c.Name, r.Protocol, r.Width, r.Height, r.Frames, r.MoreFrames, r.Error, c.Want, c.Width, c.Height)
		}
	}
}

// rebootPage plays the sub over WebRTC with the dashboard's player, asks the
// test to reboot the camera once frames flow, and reports the frames at the
// reboot, when the camera is back, and how long after its return the
// picture moved again, and how many WHEP sessions the player opened.
const rebootPage = `<!doctype html><meta charset="utf-8"><body>
<script src="/live.js"></script>
<script>
"use strict";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const video = document.createElement("video");
document.body.append(video);
const frames = () => video.getVideoPlaybackQuality().totalVideoFrames;
(async () => {
  const p = new LivePlayer(video, null, {whep: "WHEP"});
  p.start();
  for (const end = Date.now() + 45000; Date.now() < end && frames() < 20; await sleep(100)) {}
  const res = {before: frames()};
  const r = await fetch("/reboot", {method: "POST"});
  const back = performance.now();
  res.at_return = frames();
  for (const end = Date.now() + 60000; Date.now() < end && frames() < res.at_return + 10; await sleep(50)) {}
  res.after = frames();
  res.recovered_ms = performance.now() - back;
  res.sessions = +video.dataset.sessions || 0;
  res.protocol = video.dataset.protocol;
  fetch("/result", {method: "POST", body: JSON.stringify(res)});
})();
</script>`

// TestLivePlayerSurvivesCameraReboot reboots the camera under a page that
// plays its sub: without a reload, the picture must come back, in the same
// WHEP session (camgate keeps the sub published across the reboot).
func TestLivePlayerSurvivesCameraReboot(t *testing.T) {
	fx := startLive(t)
	const down = 2 * time.Second
	whep := strings.TrimSuffix(fx.webrtc.URL("cam/sub"), "/") + "/whep"
	var got struct {
		Before, AtReturn, After int
		RecoveredMs             float64 `json:"recovered_ms"`
		Sessions                int
		Protocol                string
	}
	browsertest.Run(t, browsertest.Page{
		HTML:  strings.Replace(rebootPage, "WHEP", whep, 1),
		Files: playerFiles(t),
		Handlers: map[string]http.HandlerFunc{"POST /reboot": func(w http.ResponseWriter, r *http.Request) {
			fx.fakes[0].Reboot(down)
			// The camera is down for exactly this long: the page measures
			// from the moment it is back.
			time.Sleep(down)
		}},
	}, 3*time.Minute, &got)
	t.Logf("frames: %d before the reboot, %d when the camera returned, %d after; picture back %.0f ms after the camera; %d WHEP session(s)",
		got.Before, got.AtReturn, got.After, got.RecoveredMs, got.Sessions)
	if got.Protocol != "webrtc" || got.Before < 20 || got.After < got.AtReturn+10 {
		t.Errorf("the picture did not come back after the reboot: %+v", got)
	}
	if got.Sessions != 1 {
		t.Errorf("the player opened %d WHEP sessions; the first one must survive the camera's reboot", got.Sessions)
	}
}

// liveDashboardPage loads the dashboard in a same-origin frame and reports what
// its cards play once every one of them shows frames.
const liveDashboardPage = `<!doctype html><meta charset="utf-8"><body style="margin:0">
<iframe id="d" src="/dash/" style="width:1280px;height:900px;border:0"></iframe>
<script>
"use strict";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  let cards = [];
  for (const end = Date.now() + 90000; Date.now() < end; await sleep(200)) {
    const doc = document.getElementById("d").contentDocument;
    cards = Array.from(doc ? doc.querySelectorAll(".card") : []).map((c) => {
      const v = c.querySelector("video");
      return {id: c.id, protocol: v ? v.dataset.protocol || "" : "none", width: v ? v.videoWidth : 0,
        frames: v ? v.getVideoPlaybackQuality().totalVideoFrames : 0};
    });
    if (cards.length >= 3 && cards.every((c) => c.frames >= 10)) break;
  }
  fetch("/result", {method: "POST", body: JSON.stringify(cards)});
})();
</script>`

// TestDashboardPlaysLive loads the dashboard with the browser listeners on:
// every camera card plays its sub and the grid card the grid, over WebRTC.
func TestDashboardPlaysLive(t *testing.T) {
	fx := startLive(t)
	doc, _ := conf.NewDocument("cameras: {}")
	srv, err := New(Config{Address: "127.0.0.1:0", Version: "test", Live: Live{WebRTC: fx.webrtc.Addr(), HLS: fx.hls.Addr(), HLSScript: hls.Script()}},
		fx.gw, doc, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// The dashboard, through the page's own origin, so that the page may
	// look into it.
	api, _ := url.Parse("http://" + srv.Addr().String())
	proxy := httputil.NewSingleHostReverseProxy(api)
	var cards []struct {
		ID       string
		Protocol string
		Width    int
		Frames   int
	}
	browsertest.Run(t, browsertest.Page{HTML: liveDashboardPage, Handlers: map[string]http.HandlerFunc{
		"/dash/": http.StripPrefix("/dash", proxy).ServeHTTP,
		"/v1/":   proxy.ServeHTTP, "/static/": proxy.ServeHTTP,
	}}, 3*time.Minute, &cards)
	want := map[string]int{"camera-cam": 640, "camera-cam2": 640, "grid-wall": 640}
	for _, c := range cards {
		t.Logf("%s: %s, %d px wide, %d frames", c.ID, c.Protocol, c.Width, c.Frames)
		if w, ok := want[c.ID]; ok && (c.Protocol != "webrtc" || c.Width != w || c.Frames < 10) {
			t.Errorf("card %s plays %q %d px wide, %d frames; want webrtc, %d px, frames", c.ID, c.Protocol, c.Width, c.Frames, w)
		}
		delete(want, c.ID)
	}
	if len(want) != 0 {
		t.Errorf("no card for %v", want)
	}
}
