package rtsp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"

	"github.com/camgate/camgate/internal/certfile/certtest"
	"github.com/camgate/camgate/stream"
)

// relayCameraWith serves a fake camera's session through a hub stream, at
// cam/main, on a server made with cfg.
func relayCameraWith(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	cam := startCamera(t, "cam1080p25.h264", false)
	hub := stream.NewHub()
	t.Cleanup(func() { hub.Close() })
	st, err := hub.Publish("cam/main", stream.PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(cfg, hub)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	src, err := NewSource(SourceConfig{URL: cam.URL()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, relayTo{st}) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, _, ok := st.Description(); ok {
			return srv
		}
		if time.Now().After(deadline) {
			t.Fatal("the camera's session never reached the hub")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ffprobe returns "codec,width,height" of the first video stream at url as
// Debian's ffprobe reads it over TCP, with extra options before -i.
func ffprobe(url string, opts ...string) (string, error) {
	args := append([]string{"-v", "error", "-rtsp_transport", "tcp"}, opts...)
	args = append(args, "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", "-i", url)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffprobe", args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// TestRTSPS: with encryption optional, ffprobe reads a path over rtsps://
// and over rtsp:// on the plain port; RTSP in clear to the RTSPS port gets
// nothing; a client that verifies the certificate (gortsplib) reads it with
// the test's authority and refuses it with another.
func TestRTSPS(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatal("ffprobe is not installed: make test-deps")
	}
	cert := certtest.New(t)
	srv := relayCameraWith(t, ServerConfig{
		Address: "127.0.0.1:0", TLSAddress: "127.0.0.1:0", Encryption: EncryptionOptional,
		CertFile: cert.CertFile, KeyFile: cert.KeyFile,
	})
	secure := srv.TLSURL("cam/main")
	if !strings.HasPrefix(secure, "rtsps://127.0.0.1:") || secure == strings.Replace(srv.URL("cam/main"), "rtsp:", "rtsps:", 1) {
		t.Fatalf("RTSPS URL %q, plain URL %q: want rtsps:// on its own port", secure, srv.URL("cam/main"))
	}
	// FFmpeg 5.1 does not verify an rtsps:// server's certificate: its RTSP
	// demuxer does not pass -tls_verify and -ca_file on to TLS (measured: it
	// reads with another authority's CA file too). The verified read is
	// gortsplib's, below.
	got, err := ffprobe(secure)
	if err != nil || got != "h264,1920,1080" {
		t.Errorf("ffprobe %s: %q, %v; want h264,1920,1080", secure, got, err)
	}
	if got, err := ffprobe(srv.URL("cam/main")); err != nil || got != "h264,1920,1080" {
		t.Errorf("ffprobe %s (plain, beside RTSPS): %q, %v", srv.URL("cam/main"), got, err)
	}
	// Plain RTSP to the RTSPS port: no answer that a client takes.
	plainToTLS := "rtsp://" + srv.TLSAddr().String() + "/cam/main"
	if got, err := ffprobe(plainToTLS, "-timeout", "5000000"); err == nil {
		t.Errorf("plain RTSP to the RTSPS port was served: %q", got)
	}
	// A verifying client: this certificate's authority reads, another's
	// does not.
	u, _ := base.ParseURL(secure)
	describe := func(roots *x509.CertPool, protocol gortsplib.Protocol) (*gortsplib.Client, *description.Session, error) {
		c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &protocol, TLSConfig: &tls.Config{RootCAs: roots}}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		desc, _, err := c.Describe(u)
		return c, desc, err
	}
	c, _, err := describe(certtest.New(t).Pool(), gortsplib.ProtocolTCP)
	c.Close()
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a client trusting another authority: %v, want a certificate error", err)
	}
	// UDP is refused on RTSPS: RTP in clear would defeat TLS.
	c, desc, err := describe(cert.Pool(), gortsplib.ProtocolUDP)
	defer c.Close()
	if err != nil {
		t.Fatalf("describe over RTSPS, verified: %v", err)
	}
	if _, err := c.Setup(desc.BaseURL, desc.Medias[0], 0, 0); err == nil {
		t.Error("RTSPS accepted RTP over plain UDP")
	}
}

// TestRTSPSStrict: strict serves rtsps:// only.
func TestRTSPSStrict(t *testing.T) {
	cert := certtest.New(t)
	srv := relayCameraWith(t, ServerConfig{
		Address: "127.0.0.1:0", TLSAddress: "127.0.0.1:0", Encryption: EncryptionStrict,
		CertFile: cert.CertFile, KeyFile: cert.KeyFile,
	})
	if !strings.HasPrefix(srv.URL("cam/main"), "rtsps://") || srv.TLSURL("cam/main") != srv.URL("cam/main") {
		t.Fatalf("strict: URL %q, TLS URL %q; want the same rtsps:// URL", srv.URL("cam/main"), srv.TLSURL("cam/main"))
	}
	got, err := ffprobe(srv.URL("cam/main"))
	if err != nil || got != "h264,1920,1080" {
		t.Errorf("ffprobe %s: %q, %v", srv.URL("cam/main"), got, err)
	}
}

// TestRTSPSReload: a renewed certificate is served to the next reader
// without a restart.
func TestRTSPSReload(t *testing.T) {
	dir := t.TempDir()
	first := certtest.Write(t, dir, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	hub := stream.NewHub()
	defer hub.Close()
	srv, err := NewServer(ServerConfig{
		Address: "127.0.0.1:0", TLSAddress: "127.0.0.1:0", Encryption: EncryptionStrict,
		CertFile: first.CertFile, KeyFile: first.KeyFile,
	}, hub)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if got := certtest.Served(t, srv.TLSAddr().String()); got.Cmp(first.Serial) != 0 {
		t.Fatalf("serving serial %s, want %s", got, first.Serial)
	}
	second := certtest.Write(t, dir, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	certtest.WaitServed(t, srv.TLSAddr().String(), second.Serial)
}

func TestRTSPSConfigErrors(t *testing.T) {
	hub := stream.NewHub()
	defer hub.Close()
	cert := certtest.New(t)
	for _, tc := range []struct {
		cfg  ServerConfig
		want string
	}{
		{ServerConfig{Encryption: "yes"}, `encryption "yes" is not no, optional or strict`},
		{ServerConfig{Encryption: EncryptionStrict}, "give both a certificate file"},
		{ServerConfig{Encryption: EncryptionStrict, CertFile: cert.CertFile, KeyFile: cert.CertFile}, "holds no PEM private key"},
	} {
		tc.cfg.Address, tc.cfg.TLSAddress = "127.0.0.1:0", "127.0.0.1:0"
		srv, err := NewServer(tc.cfg, hub)
		if err == nil {
			srv.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
