package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/internal/certfile"
	"github.com/camgate/camgate/rtsp"
)

// tlsListener is a listener and the certificate it serves.
type tlsListener struct {
	setting string // where the certificate is set, for messages
	listen  string
	files   conf.CertFiles
}

// tlsListeners are the listeners that are on, with their certificates
// (zero CertFiles: plain).
func tlsListeners(f *conf.Conf) []tlsListener {
	var ls []tlsListener
	if !f.API.Off() {
		ls = append(ls, tlsListener{"api", f.API.Listen, f.TLS.API})
	}
	if !f.WebRTC.Off() {
		ls = append(ls, tlsListener{"webrtc", f.WebRTC.Listen, f.TLS.WebRTC})
	}
	if !f.HLS.Off() {
		ls = append(ls, tlsListener{"hls", f.HLS.Listen, f.TLS.HLS})
	}
	if f.RTSP.Encryption != "" && f.RTSP.Encryption != rtsp.EncryptionNo {
		ls = append(ls, tlsListener{"rtsp", f.RTSP.TLSAddress, conf.CertFiles{Cert: f.RTSP.CertFile, Key: f.RTSP.KeyFile}})
	}
	return ls
}

// openCertificates reads every certificate the configuration serves, so
// that a bad file stops the start with a message that names the setting;
// the loaders keep log, for their reloads. warnings are what does not stop
// the start.
func openCertificates(f *conf.Conf, log zerolog.Logger) (warnings []string, err error) {
	var errs []error
	seen := map[conf.CertFiles]bool{}
	for _, l := range tlsListeners(f) {
		if !l.files.On() || seen[l.files] {
			continue
		}
		seen[l.files] = true
		c, err := certfile.Open(l.files.Cert, l.files.Key, log.With().Str("component", "tls").Logger())
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", l.setting, err))
			continue
		}
		warnings = append(warnings, c.Warnings(time.Now())...)
	}
	return append(warnings, plainCredentials(f)...), errors.Join(errs...)
}

// plainCredentials are the credentials the configuration lets cross the
// network in clear: on a listener beyond this machine without TLS.
func plainCredentials(f *conf.Conf) []string {
	var w []string
	if !f.API.Off() && f.API.Token != "" && !f.TLS.API.On() && beyondLoopback(f.API.Listen) {
		w = append(w, fmt.Sprintf("api.token over plain HTTP on %s: anyone on the path reads it; set tls: {cert: ..., key: ...} (or api.tls)", f.API.Listen))
	}
	if p, err := f.RTSP.ReadersPolicy(); err == nil && len(p.Users) > 0 {
		for _, l := range tlsListeners(f) {
			if (l.setting == "webrtc" || l.setting == "hls") && !l.files.On() && beyondLoopback(l.listen) {
				w = append(w, fmt.Sprintf("%s: the readers' credentials over plain HTTP on %s: anyone on the path reads them; set tls: {cert: ..., key: ...} (or %s.tls)", l.setting, l.listen, l.setting))
			}
		}
		// RTSP's Basic in clear is conf.Warnings' (it knows auth_methods).
	}
	if !f.API.Off() && f.TLS.API.On() {
		for _, l := range tlsListeners(f) {
			if (l.setting == "webrtc" || l.setting == "hls") && !l.files.On() {
				w = append(w, fmt.Sprintf("%s serves plain HTTP but the dashboard HTTPS: browsers block its %s players on the dashboard (mixed content); give %s a certificate too", l.setting, l.setting, l.setting))
			}
		}
	}
	return w
}

// beyondLoopback reports whether addr accepts connections from other
// machines.
func beyondLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return true
	}
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// startTLS opens the certificates at start and logs the warnings.
func startTLS(f *conf.Conf, log zerolog.Logger) error {
	warnings, err := openCertificates(f, log)
	for _, w := range warnings {
		log.Warn().Msg(w)
	}
	return err
}

// serverTLS is the TLS configuration of a listener that serves files, or
// nil for plain.
func serverTLS(files conf.CertFiles, log zerolog.Logger) (*tls.Config, error) {
	if !files.On() {
		return nil, nil
	}
	c, err := certfile.Open(files.Cert, files.Key, log)
	if err != nil {
		return nil, err
	}
	return c.TLSConfig(), nil
}

// checkTLS is camgate check's part on TLS: it prints the warnings and
// returns the problems.
func checkTLS(f *conf.Conf, stderr io.Writer) []string {
	warnings, err := openCertificates(f, zerolog.Nop())
	for _, w := range warnings {
		fmt.Fprintf(stderr, "camgate check: warning: %s\n", w)
	}
	if err != nil {
		return []string{err.Error()}
	}
	return nil
}

// apiClient is the HTTP client of the commands that talk to a running
// camgate: plain HTTP, or, when the API serves the certificate in certFile,
// HTTPS that accepts that certificate and no other. (The API is reached at
// 127.0.0.1, a name the certificate rarely holds: the certificate itself is
// what is checked.)
func apiClient(certFile string) (*http.Client, string, error) {
	if certFile == "" {
		return &http.Client{Timeout: 10 * time.Second}, "http", nil
	}
	b, err := os.ReadFile(certFile)
	if err != nil {
		return nil, "", fmt.Errorf("api.tls: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, "", fmt.Errorf("api.tls: %s holds no PEM certificate", certFile)
	}
	want := block.Bytes
	conf := &tls.Config{
		InsecureSkipVerify: true, // replaced by the comparison below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !bytes.Equal(raw[0], want) {
				return fmt.Errorf("the API serves another certificate than %s (renewed a moment ago? try again)", certFile)
			}
			return nil
		},
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: conf}}, "https", nil
}
