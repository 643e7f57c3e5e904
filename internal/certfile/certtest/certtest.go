// Package certtest makes self-signed certificates for tests: for 127.0.0.1,
// ::1 and localhost, written as PEM files that the tests' clients (curl
// --cacert, ffprobe -ca_file, Go) trust directly.
package certtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Cert is a certificate written to files.
type Cert struct {
	CertFile, KeyFile string
	Serial            *big.Int
	X509              *x509.Certificate
}

// Pool is a certificate pool that trusts only c.
func (c Cert) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.X509)
	return p
}

// Write makes a certificate valid from notBefore to notAfter and writes it
// as cert.pem and key.pem in dir, replacing them.
func Write(t testing.TB, dir string, notBefore, notAfter time.Time) Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "camgate test"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // its own authority: clients are given it as their CA file
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := Cert{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"), Serial: serial}
	if c.X509, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	writeAtomic(t, c.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	writeAtomic(t, c.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return c
}

// New writes a certificate valid for a day around now in a new folder.
func New(t testing.TB) Cert {
	t.Helper()
	return Write(t, t.TempDir(), time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
}

// writeAtomic replaces path, as certbot and most tools do, with a time
// later than the old file's, so that a reader polling times sees the change
// even on a file system with coarse times.
func writeAtomic(t testing.TB, path string, b []byte) {
	t.Helper()
	later := time.Now()
	if st, err := os.Stat(path); err == nil && !st.ModTime().Before(later) {
		later = st.ModTime().Add(time.Second)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, later, later); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// Served returns the serial number of the certificate a TLS server at addr
// presents (not verified: the tests compare serials).
func Served(t testing.TB, addr string) *big.Int {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS to %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber
}

// WaitServed waits until the server at addr presents the certificate with
// serial: a reloaded certificate is served within a few seconds.
func WaitServed(t testing.TB, addr string, serial *big.Int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := Served(t, addr)
		if got.Cmp(serial) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still serves serial %s 20 s after the files changed, want %s", addr, got, serial)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
