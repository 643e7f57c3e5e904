package conf

import (
	"slices"
	"strings"
	"testing"
)

func TestViewerListenersDefaults(t *testing.T) {
	f, err := Parse([]byte(""))
	if err != nil {
		t.Fatal(err)
	}
	if f.WebRTC.Listen != ":8889" || f.WebRTC.ICEUDP != ":8189" || f.WebRTC.ICETCP != ":8189" || f.HLS.Listen != ":8888" {
		t.Errorf("defaults: webrtc %+v hls %+v", f.WebRTC, f.HLS)
	}
	if !slices.Equal(f.WebRTC.CORS.Origins, []string{"*"}) || !slices.Equal(f.HLS.CORS.Origins, []string{"*"}) {
		t.Errorf("default origins: %v %v", f.WebRTC.CORS.Origins, f.HLS.CORS.Origins)
	}
	if len(f.RTSP.Readers.Users) != 0 || f.RTSP.Readers.EffectiveAnonymous() != "loopback" {
		t.Errorf("readers with none configured: %+v", f.RTSP.Readers)
	}
}

func TestViewerListenersConfigured(t *testing.T) {
	f, err := Parse([]byte(`
rtsp: {user: viewer, password: secret, token: tok}
webrtc:
  listen: "127.0.0.1:18889"
  ice_udp: ":18189"
  ice_tcp: off
  hosts: [192.0.2.7]
  stun: ["stun:stun.example.com:3478"]
  allow_origins: ["https://cams.example.com"]
hls: {listen: off}
`))
	if err != nil {
		t.Fatal(err)
	}
	w := f.WebRTC
	if w.Listen != "127.0.0.1:18889" || w.ICEUDP != ":18189" || w.ICETCP != "" || !slices.Equal(w.Hosts, []string{"192.0.2.7"}) ||
		!slices.Equal(w.CORS.Origins, []string{"https://cams.example.com"}) || len(w.STUN) != 1 {
		t.Errorf("webrtc: %+v", w)
	}
	if !f.HLS.Off() || f.WebRTC.Off() {
		t.Errorf("off: hls %v webrtc %v", f.HLS.Off(), f.WebRTC.Off())
	}
	if u := f.RTSP.Readers.Users; len(u) != 1 || u[0].Name != "viewer" || !u[0].Password.Match("secret") || u[0].Token != "tok" || !u[0].ReadAll {
		t.Errorf("readers: %+v", f.RTSP.Readers)
	}
}

func TestViewerListenersErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"webrtc: {listen: 8889}", `webrtc.listen: "8889" is not an address`},
		{"webrtc: {ice_udp: off, ice_tcp: off}", "ice_udp and ice_tcp are both off"},
		{"webrtc: {hosts: [my-nas.local]}", `webrtc.hosts: "my-nas.local" is not an IP address`},
		{"webrtc: {stun: [stun.example.com]}", "a STUN server is written stun:host:port"},
		{"hls: {allow_origins: [cams.example.com]}", "hls.allow_origins"},
		{"hls: {allow_origins: [\"https://a.example/path\"]}", "without a path"},
		{"hls: {listen: nowhere}", `hls.listen: "nowhere"`},
		{"rtsp: {user: viewer}", "user and password go together"},
		{"webrtc: {port: 1}", "field port not found"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.yaml, err, tc.want)
		}
	}
}

func TestViewerListenersEnv(t *testing.T) {
	t.Setenv("CAMGATE_WEBRTC_LISTEN", "off")
	t.Setenv("CAMGATE_HLS_LISTEN", ":9888")
	t.Setenv("CAMGATE_WEBRTC_HOSTS", "192.0.2.1,192.0.2.2")
	t.Setenv("CAMGATE_RTSP_TOKEN", "envtok")
	f, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !f.WebRTC.Off() || f.HLS.Listen != ":9888" || len(f.WebRTC.Hosts) != 2 || len(f.RTSP.Readers.Users) != 1 || f.RTSP.Readers.Users[0].Token != "envtok" {
		t.Errorf("env: webrtc %+v hls %+v readers %+v", f.WebRTC, f.HLS, f.RTSP.Readers)
	}
}
