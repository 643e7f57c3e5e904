package pipeline

import (
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/rtsp/fakecam"
	"github.com/camgate/camgate/rtsp/rtspclient"
)

// startGatewayUDP starts a gateway that also serves UDP, on a free even/odd
// port pair: found by binding and closing, so another process may take it
// before the gateway binds it; the start is retried on another pair then.
func startGatewayUDP(t *testing.T, cfg Config) (*Gateway, error) {
	t.Helper()
	for try := 0; ; try++ {
		rtpAddr, rtcpAddr, err := fakecam.FreeUDPPorts()
		if err != nil {
			return nil, err
		}
		cfg.RTSP.UDPRTPAddress, cfg.RTSP.UDPRTCPAddress = rtpAddr, rtcpAddr
		g, err := StartGateway(cfg, testLogger(t))
		if err == nil || try == 4 || !strings.Contains(err.Error(), "address already in use") {
			return g, err
		}
		t.Logf("UDP ports %s, %s taken meanwhile: another pair", rtpAddr, rtcpAddr)
	}
}

// TestUDPAllTheWay pulls the camera over UDP and serves a reader over UDP.
func TestUDPAllTheWay(t *testing.T) {
	cam, err := fakecam.Start(fakecam.Config{Clip: loadClip(t, "reschange.h264"), UDP: true, Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	g, err := startGatewayUDP(t, Config{
		RTSP:    rtsp.ServerConfig{Address: "127.0.0.1:0"},
		Cameras: []CameraConfig{{Name: "c", URL: cam.URL(), Transport: rtsp.TransportUDP, Sub: DefaultSub}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	waitState(t, g.Camera("c"), StateReady, patience)

	for _, path := range []string{"c/main", "c/sub"} {
		cl, err := rtspclient.Play(rtspclient.Config{URL: g.Server().URL(path), UDP: true})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(patience)
		for cl.Stats().Packets == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if cl.Stats().Packets == 0 {
			t.Errorf("%s: no RTP over UDP within %v", path, patience)
		}
		if !cl.Session().UDP {
			t.Errorf("%s: transport %+v, want UDP", path, cl.Session())
		}
		cl.Close()
	}
}

// TestReaderCredentials requires a user and password of readers.
func TestReaderCredentials(t *testing.T) {
	cam := startFake(t, loadClip(t, "reschange.h264"), false)
	g, err := StartGateway(Config{
		RTSP:    rtsp.ServerConfig{Address: "127.0.0.1:0", User: "viewer", Pass: "s3cret"},
		Cameras: []CameraConfig{{Name: "c", URL: cam.URL(), Sub: DefaultSub}},
	}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	waitState(t, g.Camera("c"), StateReady, patience)
	plain := g.Server().URL("c/sub")
	withCreds := "rtsp://viewer:s3cret@" + plain[len("rtsp://"):]
	wrong := "rtsp://viewer:nope@" + plain[len("rtsp://"):]
	for url, wantOK := range map[string]bool{plain: false, wrong: false, withCreds: true} {
		_, err := rtspclient.Describe(url)
		if ok := err == nil; ok != wantOK {
			t.Errorf("%s: describe error %v, want success %v", rtsp.Redact(url), err, wantOK)
		}
	}
	// The server's own URL must carry no credentials.
	if rtsp.Redact(withCreds) == withCreds {
		t.Error("Redact kept the password")
	}
}

func TestStatsReportFlow(t *testing.T) {
	cam := startFake(t, loadClip(t, "reschange.h264"), true)
	g := startGateway(t, CameraConfig{Name: "c", URL: cam.URL(), Sub: DefaultSub})
	c := g.Camera("c")
	waitState(t, c, StateReady, patience)
	r := newReader(t, g.Server().URL("c/sub"), false)
	r.waitFrames(5, patience)
	// The figures are rates over the last seconds: polled until they show
	// the flow (or patience runs out), not sampled once after a guessed delay.
	flowing := func(st CameraStats) bool {
		sub := st.Outputs[0]
		return st.State == StateReady && st.FPSIn >= 20 && st.FPSIn <= 30 && st.Bitrate10s >= 100_000 && st.LastFrameMs <= 500 &&
			sub.FPS >= 8 && sub.FPS <= 12 && sub.Bitrate10s >= 50_000 && sub.Frames > 0 && sub.LastFrameMs <= 500
	}
	st := c.Stats()
	for start := time.Now(); !flowing(st) && time.Since(start) < patience; st = c.Stats() {
		time.Sleep(50 * time.Millisecond)
	}
	sub := st.Outputs[0]
	t.Logf("in: %.0f bit/s (1 s) %.0f bit/s (10 s), %.1f fps; sub: %.0f bit/s, %.1f fps, last frame %d ms ago",
		st.Bitrate1s, st.Bitrate10s, st.FPSIn, sub.Bitrate10s, sub.FPS, sub.LastFrameMs)
	if st.State != StateReady || st.FPSIn < 20 || st.FPSIn > 30 || st.Bitrate10s < 100_000 || st.LastFrameMs > 500 {
		t.Errorf("input stats do not show 25 fps of video flowing: %+v", st)
	}
	if sub.Name != "sub" || sub.Readers != 1 || sub.FPS < 8 || sub.FPS > 12 || sub.Bitrate10s < 50_000 || sub.Frames == 0 || sub.LastFrameMs > 500 {
		t.Errorf("sub stats do not show 10 fps flowing to one reader: %+v", sub)
	}
	if st.Main == nil || st.Main.Readers != 0 || st.Decoded == 0 {
		t.Errorf("main/decoder stats: %+v", st)
	}
}

// TestTranscodedSDPAnnouncesParameterSets describes the sub and grid streams
// before anyone reads them, as an NVR's first connection does: the SDP must
// already carry the encoder's SPS and PPS (sprop-parameter-sets), with the
// output's size in the SPS.
func TestTranscodedSDPAnnouncesParameterSets(t *testing.T) {
	cam := startFake(t, loadClip(t, "cam1080p25.h264"), false)
	g := startGatewayWithGrids(t, []CameraConfig{{Name: "c", URL: cam.URL(), Sub: DefaultSub}},
		GridConfig{Name: "wall", Cameras: []string{"c"}})
	waitState(t, g.Camera("c"), StateReady, patience)
	for path, size := range map[string][2]int{"c/sub": {640, 360}, "grid/wall": {1280, 720}} {
		desc, err := rtspclient.Describe(g.Server().URL(path))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(desc.Medias) != 1 || desc.Medias[0].Codec != rtspclient.H264 {
			t.Fatalf("%s: no H.264 in the SDP: %+v", path, desc.Medias)
		}
		h := desc.Medias[0]
		if len(h.SPS) == 0 || len(h.PPS) == 0 {
			t.Fatalf("%s: SDP without sprop-parameter-sets", path)
		}
		var sps h264.SPS
		if err := sps.Unmarshal(h.SPS); err != nil {
			t.Fatalf("%s: SPS in the SDP: %v", path, err)
		}
		if sps.Width() != size[0] || sps.Height() != size[1] {
			t.Errorf("%s: SPS says %dx%d, want %dx%d", path, sps.Width(), sps.Height(), size[0], size[1])
		}
	}
}
