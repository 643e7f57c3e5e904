package conf

import (
	"strings"
	"testing"

	"github.com/camgate/camgate/rtsp"
)

func TestTLSSettings(t *testing.T) {
	box := CertFiles{Cert: "/etc/camgate/cert.pem", Key: "/etc/camgate/key.pem"}
	own := CertFiles{Cert: "/etc/camgate/hls.pem", Key: "/etc/camgate/hls.key"}
	for _, tc := range []struct {
		name, yml            string
		api, webrtc, hls     CertFiles
		enc, rtspsAt, rtspAt string
		rtspFiles            CertFiles
	}{
		{name: "none", yml: "", enc: rtsp.EncryptionNo},
		{name: "one certificate for the box", yml: "tls: {cert: /etc/camgate/cert.pem, key: /etc/camgate/key.pem}\n",
			api: box, webrtc: box, hls: box, enc: rtsp.EncryptionOptional, rtspsAt: ":8322", rtspFiles: box},
		{name: "overrides", yml: "tls: {cert: /etc/camgate/cert.pem, key: /etc/camgate/key.pem}\napi: {tls: off}\nhls: {tls: {cert: /etc/camgate/hls.pem, key: /etc/camgate/hls.key}}\nrtsp: {encryption: strict, rtsps_listen: \":322\"}\n",
			webrtc: box, hls: own, enc: rtsp.EncryptionStrict, rtspsAt: ":322", rtspFiles: box},
		{name: "rtsp off", yml: "tls: {cert: /etc/camgate/cert.pem, key: /etc/camgate/key.pem}\nrtsp: {encryption: \"no\"}\n",
			api: box, webrtc: box, hls: box, enc: rtsp.EncryptionNo},
		{name: "rtsp tls off", yml: "tls: {cert: /etc/camgate/cert.pem, key: /etc/camgate/key.pem}\nrtsp: {tls: off}\n",
			api: box, webrtc: box, hls: box, enc: rtsp.EncryptionNo},
		{name: "rtsp only", yml: "rtsp: {tls: {cert: /etc/camgate/cert.pem, key: /etc/camgate/key.pem}}\n",
			enc: rtsp.EncryptionOptional, rtspsAt: ":8322", rtspFiles: box},
		{name: "ephemeral ports", yml: "rtsp: {listen: \"127.0.0.1:0\", rtsps_listen: \"127.0.0.1:0\", tls: {cert: /etc/camgate/cert.pem, key: /etc/camgate/key.pem}}\n",
			enc: rtsp.EncryptionOptional, rtspsAt: "127.0.0.1:0", rtspAt: "127.0.0.1:0", rtspFiles: box},
	} {
		c, err := Parse([]byte(tc.yml))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if c.TLS.API != tc.api || c.TLS.WebRTC != tc.webrtc || c.TLS.HLS != tc.hls {
			t.Errorf("%s: listeners' certificates %+v", tc.name, c.TLS)
		}
		r := c.RTSP
		if r.Encryption != tc.enc || r.TLSAddress != tc.rtspsAt || (CertFiles{r.CertFile, r.KeyFile}) != tc.rtspFiles {
			t.Errorf("%s: rtsp encryption %q on %q with %q %q", tc.name, r.Encryption, r.TLSAddress, r.CertFile, r.KeyFile)
		}
		if tc.rtspAt != "" && r.Address != tc.rtspAt {
			t.Errorf("%s: rtsp.listen %q", tc.name, r.Address)
		}
		// What check prints says it too.
		out, err := Effective(c)
		if err != nil || !strings.Contains(string(out), "encryption: \""+tc.enc+"\"") && !strings.Contains(string(out), "encryption: "+tc.enc) {
			t.Errorf("%s: the effective configuration lacks the encryption %q:\n%s", tc.name, tc.enc, out)
		}
	}
}

func TestTLSSettingErrors(t *testing.T) {
	for _, tc := range []struct{ yml, want string }{
		{"tls: {cert: /c.pem}\n", "tls: a certificate (/c.pem) without its key: set key too"},
		{"tls: {key: /k.pem}\n", "tls: a key (/k.pem) without its certificate: set cert too"},
		{"api: {tls: {cert: /c.pem}}\n", "api.tls: a certificate (/c.pem) without its key"},
		{"webrtc: {tls: yes}\n", "tls is {cert: /path/cert.pem, key: /path/key.pem}, or off"},
		{"hls: {tls: {cert: /c.pem, key: /k.pem, chain: /x.pem}}\n", "field chain not found"},
		{"rtsp: {encryption: optional}\n", "rtsp.encryption: optional needs a certificate: set tls: {cert:"},
		{"rtsp: {encryption: strict, tls: off}\n", "rtsp.encryption: strict needs a certificate"},
		{"tls: {cert: /c.pem, key: /k.pem}\nrtsp: {encryption: tls}\n", `rtsp.encryption: "tls" is not no, optional (rtsp:// and rtsps://) or strict (rtsps:// only)`},
		{"tls: {cert: /c.pem, key: /k.pem}\nrtsp: {rtsps_listen: 8322}\n", `rtsp.rtsps_listen: "8322" is not an address like ":8322"`},
		{"tls: {cert: /c.pem, key: /k.pem}\nrtsp: {listen: \":8554\", rtsps_listen: \":8554\"}\n", "rtsp.rtsps_listen: :8554 is also rtsp.listen"},
	} {
		_, err := Parse([]byte(tc.yml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yml, err, tc.want)
		}
	}
}

// FuzzTLSSettings: no tls settings, however broken, crash the parser; the
// accepted ones are consistent: a listener has a certificate and its key or
// neither, and RTSPS is on only with a certificate.
func FuzzTLSSettings(f *testing.F) {
	f.Add([]byte("tls: {cert: /etc/camgate/cert.pem, key: /etc/camgate/key.pem}\napi: {tls: off}\nrtsp: {encryption: strict}\n"))
	f.Add([]byte("hls: {tls: {cert: a, key: b}}\nwebrtc: {tls: off}\nrtsp: {rtsps_listen: \":1\", tls: {cert: c, key: \"\"}}\n"))
	f.Add([]byte("tls: off\n"))
	f.Add([]byte("tls: [1]\nrtsp: {tls: 7}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		for _, files := range []CertFiles{c.TLS.API, c.TLS.WebRTC, c.TLS.HLS, {c.RTSP.CertFile, c.RTSP.KeyFile}} {
			if (files.Cert == "") != (files.Key == "") {
				t.Fatalf("accepted a certificate without its key, or a key without its certificate: %+v", files)
			}
		}
		switch c.RTSP.Encryption {
		case rtsp.EncryptionNo:
		case rtsp.EncryptionOptional, rtsp.EncryptionStrict:
			if c.RTSP.CertFile == "" || c.RTSP.TLSAddress == "" {
				t.Fatalf("RTSPS on without a certificate or an address: %+v", c.RTSP)
			}
		default:
			t.Fatalf("accepted encryption %q", c.RTSP.Encryption)
		}
	})
}
