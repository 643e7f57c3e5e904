package conf

import (
	"fmt"
	"net"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/camgate/camgate/rtsp"
)

// DefaultRTSPSListen is where RTSPS readers connect: MediaMTX's port.
const DefaultRTSPSListen = rtsp.DefaultTLSAddress

// CertFiles is a certificate and its private key, PEM files; the zero value
// means plain (no TLS).
type CertFiles struct {
	Cert, Key string
}

// On reports whether there is a certificate to serve.
func (c CertFiles) On() bool { return c.Cert != "" }

// TLSConfig is the certificate each HTTP listener serves; a listener whose
// CertFiles are zero serves plain HTTP. RTSP's are in the rtsp section's
// server configuration (Conf.RTSP).
type TLSConfig struct {
	API, WebRTC, HLS CertFiles
}

// fileTLS is a tls setting in the file: {cert: ..., key: ...}, or off.
type fileTLS struct {
	Off       bool
	Cert, Key string
}

// UnmarshalYAML reads `tls: off` or `tls: {cert: ..., key: ...}`.
func (t *fileTLS) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if n.Value == "off" {
			*t = fileTLS{Off: true}
			return nil
		}
		return fmt.Errorf("line %d: tls is {cert: /path/cert.pem, key: /path/key.pem}, or off; not %q", n.Line, n.Value)
	}
	var m struct {
		Cert string `yaml:"cert"`
		Key  string `yaml:"key"`
	}
	if err := decodeStrict(n, &m); err != nil {
		return err
	}
	*t = fileTLS{Cert: m.Cert, Key: m.Key}
	return nil
}

// certFiles checks one tls setting; section names it in errors.
func certFiles(section string, t fileTLS) (CertFiles, error) {
	c := CertFiles{Cert: strings.TrimSpace(t.Cert), Key: strings.TrimSpace(t.Key)}
	switch {
	case t.Off:
		return CertFiles{}, nil
	case c.Cert == "" && c.Key != "":
		return CertFiles{}, fmt.Errorf("%s: a key (%s) without its certificate: set cert too", section, c.Key)
	case c.Cert != "" && c.Key == "":
		return CertFiles{}, fmt.Errorf("%s: a certificate (%s) without its key: set key too (the same file, if it holds both)", section, c.Cert)
	case strings.ContainsRune(c.Cert+c.Key, 0):
		return CertFiles{}, fmt.Errorf("%s: a file name with a NUL character", section)
	}
	return c, nil
}

// buildTLS reads which listener serves which certificate: the top-level
// tls section is the box's certificate, which every listener serves unless
// its own section says otherwise (its own tls, or tls: off). RTSP serves
// both rtsp:// and rtsps:// with a certificate unless rtsp.encryption says
// otherwise.
func buildTLS(fc *fileConfig, out *Conf) []error {
	var errs []error
	box, err := certFiles("tls", fc.TLS)
	if err != nil {
		errs = append(errs, err)
	}
	pick := func(section string, own *fileTLS) CertFiles {
		if own == nil {
			return box
		}
		c, err := certFiles(section+".tls", *own)
		if err != nil {
			errs = append(errs, err)
		}
		return c
	}
	out.TLS = TLSConfig{API: pick("api", fc.API.TLS), WebRTC: pick("webrtc", fc.WebRTC.TLS), HLS: pick("hls", fc.HLS.TLS)}

	files := pick("rtsp", fc.RTSP.TLS)
	enc := fc.RTSP.Encryption
	if enc == "" {
		enc = rtsp.EncryptionNo
		if files.On() {
			enc = rtsp.EncryptionOptional
		}
	}
	r := &out.RTSP
	r.Encryption, r.TLSAddress = enc, firstOf(fc.RTSP.RTSPSListen, DefaultRTSPSListen)
	switch enc {
	case rtsp.EncryptionNo:
		r.TLSAddress = ""
		return errs
	case rtsp.EncryptionOptional, rtsp.EncryptionStrict:
		if !files.On() {
			errs = append(errs, fmt.Errorf("rtsp.encryption: %s needs a certificate: set tls: {cert: /etc/camgate/cert.pem, key: /etc/camgate/key.pem} (or rtsp.tls)", enc))
		}
	default:
		errs = append(errs, fmt.Errorf("rtsp.encryption: %q is not no, optional (rtsp:// and rtsps://) or strict (rtsps:// only)", enc))
	}
	r.CertFile, r.KeyFile = files.Cert, files.Key
	if _, _, err := net.SplitHostPort(r.TLSAddress); err != nil {
		errs = append(errs, fmt.Errorf("rtsp.rtsps_listen: %q is not an address like \":8322\"", r.TLSAddress))
	} else if _, port, _ := net.SplitHostPort(r.TLSAddress); enc == rtsp.EncryptionOptional && r.TLSAddress == r.Address && port != "0" {
		errs = append(errs, fmt.Errorf("rtsp.rtsps_listen: %s is also rtsp.listen: RTSP and RTSPS need a port each", r.TLSAddress))
	}
	return errs
}

// effectiveTLS adds the TLS settings to the effective configuration's
// sections.
func effectiveTLS(f *Conf, rtspCfg, apiCfg, webrtcCfg, hlsCfg map[string]any) {
	rtspCfg["encryption"] = firstOf(f.RTSP.Encryption, rtsp.EncryptionNo)
	if f.RTSP.Encryption != "" && f.RTSP.Encryption != rtsp.EncryptionNo {
		rtspCfg["rtsps_listen"] = f.RTSP.TLSAddress
		rtspCfg["tls"] = map[string]string{"cert": f.RTSP.CertFile, "key": f.RTSP.KeyFile}
	}
	for _, l := range []struct {
		m map[string]any
		c CertFiles
	}{{apiCfg, f.TLS.API}, {webrtcCfg, f.TLS.WebRTC}, {hlsCfg, f.TLS.HLS}} {
		if l.c.On() {
			l.m["tls"] = map[string]string{"cert": l.c.Cert, "key": l.c.Key}
		} else {
			l.m["tls"] = Off
		}
	}
}
