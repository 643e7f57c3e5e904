package webrtc

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/internal/viewers"
	"github.com/camgate/camgate/stream"
	"github.com/camgate/camgate/webrtc/whepclient"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const wait = 60 * time.Second

// poll waits for cond, for up to a minute.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newServer(t *testing.T, hub *stream.Hub, edit func(*Config)) *Server {
	t.Helper()
	cfg := Config{Address: "127.0.0.1:0", ICEUDP: "127.0.0.1:0", ICETCP: "127.0.0.1:0", Log: zerolog.Nop(), CORS: viewers.CORS{Origins: viewers.DefaultOrigins}}
	if edit != nil {
		edit(&cfg)
	}
	s, err := NewServer(cfg, hub)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// clip is a testdata clip, read once.
func clip(t *testing.T, name string) ([][][]byte, codec.Codec) {
	t.Helper()
	aus, c, err := codec.ReadAnnexBFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return aus, c
}

// camera publishes path and writes the clip at 25 fps, looping, like one of
// camgate's encoders: a reader joining makes the next picture a keyframe
// (the clip starts again).
func camera(t *testing.T, hub *stream.Hub, path, file string, audio *stream.Track) *stream.Stream {
	t.Helper()
	aus, c := clip(t, file)
	params := codec.FromList(c, aus[0])
	w, h := params.PictureSize(c)
	d := stream.H264Description(params, w, h)
	if c == codec.H265 {
		d.Video.Codec, d.Tracks[0].Codec, d.Key = codec.H265, "H265", "h265"
	}
	if audio != nil {
		d.Tracks = append(d.Tracks, *audio)
	}
	var joined atomic.Bool
	st, err := hub.Publish(path, stream.PublishOptions{Description: &d, OnJoin: func() { joined.Store(true) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		i := 0
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if joined.Swap(false) {
				i = 0
			}
			au := aus[i%len(aus)]
			i++
			pts := time.Duration(n) * 40 * time.Millisecond
			st.Write(stream.Unit{Track: 0, Kind: stream.Video, PTS: pts, Keyframe: codec.IsKeyframe(c, au), Data: au})
			if audio != nil {
				st.Write(stream.Unit{Track: 1, Kind: stream.Audio, PTS: pts, Data: [][]byte{make([]byte, 320)}})
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		st.Close()
	})
	return st
}

func TestPlayH264(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	st := camera(t, hub, "cam1/sub", "cam1080p25.h264", nil)
	s := newServer(t, hub, nil)

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := whepclient.Dial(ctx, s.URL("cam1/sub")+"whep", whepclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	poll(t, "10 frames", func() bool { return c.Stats().Frames >= 10 })
	first := c.Stats()
	poll(t, "frames to keep coming", func() bool { return c.Stats().Frames > first.Frames+10 })
	// The first keyframe is a burst of ~100 packets that a loaded
	// loopback may drop part of; the client's jitter buffer waits for
	// NACK's retransmissions, as a browser's does.
	poll(t, "a keyframe and its SPS", func() bool { return c.Stats().Keyframes > 0 && c.Stats().Width > 0 })
	got := c.Stats()
	t.Logf("connected after %v, first frame after %v; %d frames, %d bytes", got.Connected, got.FirstFrame, got.Frames, got.Bytes)
	if got.Keyframes == 0 || got.Width != 1920 || got.Height != 1080 || got.Codec != codec.H264 {
		t.Fatalf("stats %+v: want a keyframe and a 1920x1080 SPS", got)
	}
	if s.Sessions() != 1 || st.Stats().Readers != 1 {
		t.Fatalf("sessions %d, readers %d", s.Sessions(), st.Stats().Readers)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// DELETE answers once the session has been freed.
	if s.Sessions() != 0 || st.Stats().Readers != 0 {
		t.Fatalf("after DELETE: sessions %d, readers %d", s.Sessions(), st.Stats().Readers)
	}
}

func TestAudio(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	camera(t, hub, "pcmu/main", "reschange.h264", &stream.Track{Kind: stream.Audio, Codec: "PCMU", ClockRate: 8000})
	camera(t, hub, "aac/main", "reschange.h264", &stream.Track{Kind: stream.Audio, Codec: "MPEG4-audio", ClockRate: 16000})
	s := newServer(t, hub, nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	c, err := whepclient.Dial(ctx, s.URL("pcmu/main"), whepclient.Options{Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	poll(t, "G.711 audio and video", func() bool { st := c.Stats(); return st.AudioPackets > 10 && st.Frames > 10 })
	if h := c.AnswerHeader().Get("X-Camgate-Audio"); h != "" {
		t.Fatalf("X-Camgate-Audio on a G.711 stream: %q", h)
	}

	a, err := whepclient.Dial(ctx, s.URL("aac/main"), whepclient.Options{Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if h := a.AnswerHeader().Get("X-Camgate-Audio"); h != audioNoAAC {
		t.Fatalf("X-Camgate-Audio = %q, want %q", h, audioNoAAC)
	}
	poll(t, "video of the AAC stream", func() bool { return a.Stats().Frames > 10 })
	if a.Stats().AudioPackets != 0 {
		t.Fatal("audio packets on an AAC stream")
	}
}

// offerSDP makes an offer as a browser would, from a peer connection that
// is closed at once: nothing will ever answer its candidates.
func offerSDP(t *testing.T, video, audio bool) string {
	t.Helper()
	me := &webrtc.MediaEngine{}
	for _, c := range []struct {
		p webrtc.RTPCodecParameters
		k webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}, PayloadType: 102}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f"}, PayloadType: 112}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, PayloadType: 111}, webrtc.RTPCodecTypeAudio},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0}, webrtc.RTPCodecTypeAudio},
	} {
		if err := me.RegisterCodec(c.p, c.k); err != nil {
			t.Fatal(err)
		}
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if video {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	if audio {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	g := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	<-g
	return pc.LocalDescription().SDP
}

func do(t *testing.T, method, url, ctype, body string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestAnswerAndDelete(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	st := camera(t, hub, "grid/demo", "reschange.h264", nil)
	s := newServer(t, hub, func(c *Config) { c.Hosts = []string{"203.0.113.7"} })
	base := strings.TrimSuffix(s.URL(""), "/")

	res, body := do(t, "POST", s.URL("grid/demo")+"whep", "application/sdp", offerSDP(t, true, true), nil)
	if res.StatusCode != 201 {
		t.Fatalf("POST: %d %s", res.StatusCode, body)
	}
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/grid/demo/whep/") || res.Header.Get("ETag") == "" || res.Header.Get("Content-Type") != "application/sdp" {
		t.Fatalf("headers %v", res.Header)
	}
	for _, want := range []string{"a=sendonly", "H264/90000", "profile-level-id=640c1f", "203.0.113.7", "a=candidate:"} {
		if !strings.Contains(body, want) {
			t.Errorf("answer lacks %q:\n%s", want, body)
		}
	}
	if s.Sessions() != 1 {
		t.Fatalf("sessions %d", s.Sessions())
	}
	if res, body := do(t, "PATCH", base+loc, "application/trickle-ice-sdpfrag", "a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n", nil); res.StatusCode != 204 {
		t.Fatalf("PATCH: %d %s", res.StatusCode, body)
	}
	if res, body := do(t, "DELETE", base+loc, "", "", nil); res.StatusCode != 200 {
		t.Fatalf("DELETE: %d %s", res.StatusCode, body)
	}
	if s.Sessions() != 0 || st.Stats().Readers != 0 {
		t.Fatalf("after DELETE: sessions %d, readers %d", s.Sessions(), st.Stats().Readers)
	}
	if res, _ := do(t, "DELETE", base+loc, "", "", nil); res.StatusCode != 404 {
		t.Fatalf("second DELETE: %d", res.StatusCode)
	}
}

func TestOptions(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	s := newServer(t, hub, func(c *Config) { c.STUN = []string{"stun:stun.example.net:3478"} })
	res, _ := do(t, "OPTIONS", s.URL("cam1/sub")+"whep", "", "", nil)
	if res.StatusCode != 204 || res.Header.Get("Accept-Post") != "application/sdp" || !strings.Contains(res.Header.Get("Allow"), "POST") ||
		res.Header.Get("Link") != `<stun:stun.example.net:3478>; rel="ice-server"` {
		t.Fatalf("OPTIONS: %d %v", res.StatusCode, res.Header)
	}
	pre := http.Header{"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"POST"}}
	res, _ = do(t, "OPTIONS", s.URL("cam1/sub")+"whep", "", "", pre)
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "Location") ||
		res.Header.Get("Accept-Post") != "application/sdp" {
		t.Fatalf("preflight: %d %v", res.StatusCode, res.Header)
	}
}

func TestErrors(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	camera(t, hub, "cam1/sub", "reschange.h264", nil)
	camera(t, hub, "cam2/main", "cam720p25.hevc", nil)
	if _, err := hub.Publish("cam3/main", stream.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, hub, nil)
	offer := offerSDP(t, true, true)
	audioOnly := offerSDP(t, false, true)
	cases := []struct {
		name, path, ctype, body string
		status                  int
		text                    string
	}{
		{"unknown path", "nope/main", "application/sdp", offer, 404, `"nope/main"`},
		{"not ready", "cam3/main", "application/sdp", offer, 503, "not ready"},
		{"content type", "cam1/sub", "text/plain", offer, 415, "application/sdp"},
		{"garbage", "cam1/sub", "application/sdp", "v=0\r\nhello\r\n", 400, "invalid SDP offer: "},
		{"no video", "cam1/sub", "application/sdp", audioOnly, 400, "video recvonly"},
		{"H.265 to an H.264 browser", "cam2/main", "application/sdp", offer, 400, "use cam2/sub"},
	}
	for _, tc := range cases {
		res, body := do(t, "POST", s.URL(tc.path)+"whep", tc.ctype, tc.body, nil)
		if res.StatusCode != tc.status || !strings.Contains(body, tc.text) || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("%s: %d %q, want %d with %q", tc.name, res.StatusCode, body, tc.status, tc.text)
		}
	}
	if s.Sessions() != 0 {
		t.Fatalf("%d sessions after refused offers", s.Sessions())
	}

	// A browser that offers H.265 gets the H.265 stream.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := whepclient.Dial(ctx, s.URL("cam2/main"), whepclient.Options{H265: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	poll(t, "H.265 frames", func() bool { return c.Stats().Frames > 5 })
	if st := c.Stats(); st.Codec != codec.H265 || st.Width != 1280 || st.Height != 720 {
		t.Fatalf("H.265 stats %+v", st)
	}
}

func TestAuth(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	camera(t, hub, "cam1/sub", "reschange.h264", nil)
	s := newServer(t, hub, func(c *Config) {
		c.Auth = viewers.NewAuth(viewers.Policy{Users: []viewers.User{viewers.ReaderOfAll("viewer", "secret", "t0ken")}})
	})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	url := s.URL("cam1/sub") + "whep"

	_, err := whepclient.Dial(ctx, url, whepclient.Options{})
	var he *whepclient.HTTPError
	if !errors.As(err, &he) || he.Status != 401 {
		t.Fatalf("without credentials: %v", err)
	}
	basic := http.Header{}
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth("viewer", "wrong")
	basic.Set("Authorization", r.Header.Get("Authorization"))
	if _, err := whepclient.Dial(ctx, url, whepclient.Options{Header: basic}); !errors.As(err, &he) || he.Status != 401 {
		t.Fatalf("wrong password: %v", err)
	}
	if res, _ := do(t, "GET", s.URL("cam1/sub"), "", "", nil); res.StatusCode != 401 {
		t.Fatalf("player page without credentials: %d", res.StatusCode)
	}

	r.SetBasicAuth("viewer", "secret")
	basic.Set("Authorization", r.Header.Get("Authorization"))
	for name, c := range map[string]struct {
		url string
		h   http.Header
	}{"basic": {url, basic}, "token": {url + "?token=t0ken", nil}} {
		cl, err := whepclient.Dial(ctx, c.url, whepclient.Options{Header: c.h})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		poll(t, name+" frames", func() bool { return cl.Stats().Frames > 0 })
		if err := cl.Close(); err != nil { // DELETE with the same credentials
			t.Fatalf("%s: %v", name, err)
		}
	}
	if res, body := do(t, "GET", s.URL("cam1/sub")+"?token=t0ken", "", "", nil); res.StatusCode != 200 || !strings.Contains(body, "whepPlay") {
		t.Fatalf("player page: %d", res.StatusCode)
	}
}

func TestPlayerPage(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	camera(t, hub, "cam1/sub", "reschange.h264", nil)
	s := newServer(t, hub, nil)
	res, body := do(t, "GET", s.URL("cam1/sub"), "", "", nil)
	if res.StatusCode != 200 || !strings.Contains(body, "<video") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", res.StatusCode, body)
	}
	for _, u := range []string{s.URL("cam1/sub") + "whep.js", s.URL("") + "whep.js"} {
		res, body = do(t, "GET", u, "", "", nil)
		if res.StatusCode != 200 || !strings.Contains(body, "async function whepPlay(video, whepURL, options") {
			t.Fatalf("%s: %d", u, res.StatusCode)
		}
	}
	if res, _ = do(t, "GET", s.URL("nope/x"), "", "", nil); res.StatusCode != 404 {
		t.Fatalf("page of an unknown path: %d", res.StatusCode)
	}
}

func TestStreamEndEndsSession(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	st := camera(t, hub, "cam1/sub", "reschange.h264", nil)
	s := newServer(t, hub, nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := whepclient.Dial(ctx, s.URL("cam1/sub"), whepclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	poll(t, "frames", func() bool { return c.Stats().Frames > 0 })
	st.SetDescription(stream.Description{Key: "another"})
	poll(t, "the session to end", func() bool { return s.Sessions() == 0 })
}

func fds(t *testing.T) int {
	t.Helper()
	e, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(e)
}

// Sessions whose viewer never connects, or goes away without DELETE, are
// reaped: nothing of them is left.
func TestAbandonedSessionsReaped(t *testing.T) {
	const n = 1000
	hub := stream.NewHub()
	defer hub.Close()
	st := camera(t, hub, "cam1/sub", "reschange.h264", nil)
	s := newServer(t, hub, func(c *Config) { c.SessionTimeout = 2 * time.Second })
	offer := offerSDP(t, true, true)
	// Warm up (the HTTP client's connection, pion's lazily made state),
	// then take the baseline.
	if res, body := do(t, "POST", s.URL("cam1/sub")+"whep", "application/sdp", offer, nil); res.StatusCode != 201 {
		t.Fatalf("POST: %d %s", res.StatusCode, body)
	}
	poll(t, "the warm-up session to be reaped", func() bool { return s.Sessions() == 0 })
	// A viewer who watches through it all, and must see nothing of it.
	wctx, wcancel := context.WithTimeout(context.Background(), wait)
	defer wcancel()
	watcher, err := whepclient.Dial(wctx, s.URL("cam1/sub"), whepclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "the watcher's frames", func() bool { return watcher.Stats().Frames > 0 })
	fd0 := fds(t)
	ignore := goleak.IgnoreCurrent()
	watched := watcher.Stats().Frames

	start := time.Now()
	peak := 0
	for i := 0; i < n; i++ {
		if res, body := do(t, "POST", s.URL("cam1/sub")+"whep", "application/sdp", offer, nil); res.StatusCode != 201 {
			t.Fatalf("POST %d: %d %s", i, res.StatusCode, body)
		}
		peak = max(peak, s.Sessions())
	}
	t.Logf("%d offers answered in %v, %d sessions at most at once", n, time.Since(start), peak)

	// And one that connected, then went away without DELETE.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := whepclient.Dial(ctx, s.URL("cam1/sub"), whepclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "frames", func() bool { return c.Stats().Frames > 0 })
	c.Abandon()

	poll(t, "every abandoned session to be reaped", func() bool { return s.Sessions() == 1 && st.Stats().Readers == 1 })
	poll(t, "goroutines to end", func() bool { return goleak.Find(ignore) == nil })
	http.DefaultClient.CloseIdleConnections()
	poll(t, "file descriptors to be closed", func() bool { return fds(t) <= fd0+2 })
	t.Logf("fds %d before, %d after", fd0, fds(t))

	// The watcher played on, and plays still.
	during := watcher.Stats().Frames
	poll(t, "the watcher's frames to keep coming", func() bool { return watcher.Stats().Frames > during+10 })
	t.Logf("the watcher got %d frames during the flood; the stream's readers lost %d units", during-watched, st.Stats().Drops)
	if during <= watched {
		t.Errorf("the watcher got no frame while %d sessions were opened and abandoned", n)
	}
	select {
	case <-watcher.Done():
		t.Error("the watcher's session ended")
	default:
	}
	watcher.Close()
	poll(t, "the watcher's session to end", func() bool { return s.Sessions() == 0 && st.Stats().Readers == 0 })
}

func TestCloseEndsSessions(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	camera(t, hub, "cam1/sub", "reschange.h264", nil)
	s, err := NewServer(Config{Address: "127.0.0.1:0", ICEUDP: "127.0.0.1:0", ICETCP: "127.0.0.1:0", Log: zerolog.Nop()}, hub)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := whepclient.Dial(ctx, s.URL("cam1/sub"), whepclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "frames", func() bool { return c.Stats().Frames > 0 })
	s.Close()
	s.Close()
	if s.Sessions() != 0 {
		t.Fatal("sessions left after Close")
	}
	c.Abandon()
	// The same ports can be taken again: the sockets are closed.
	s2, err := NewServer(Config{Address: s.Addr().String(), ICEUDP: s.ICEUDPAddr().String()}, hub)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
}
