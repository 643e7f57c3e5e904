package certfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/internal/certfile/certtest"
)

// open opens a pair with a loader that looks at its files on every
// handshake, so that reload tests need not wait.
func open(t *testing.T, certFile, keyFile string, log zerolog.Logger) *Loader {
	t.Helper()
	l, err := Open(certFile, keyFile, log)
	if err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	l.checkEvery = 0
	l.mu.Unlock()
	return l
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	good := certtest.New(t)
	other := certtest.New(t)
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certPEM, _ := os.ReadFile(good.CertFile)
	keyPEM, _ := os.ReadFile(good.KeyFile)
	both := write("both.pem", string(certPEM)+string(keyPEM))
	if _, err := Open(both, both, zerolog.Nop()); err != nil {
		t.Errorf("a file holding both the certificate and the key: %v", err)
	}
	for _, tc := range []struct {
		name, cert, key, want string
	}{
		{"no key", good.CertFile, "", "give both a certificate file (cert) and its key file (key)"},
		{"no cert", "", good.KeyFile, "give both"},
		{"missing cert", filepath.Join(dir, "nope.pem"), good.KeyFile, "tls.cert: " + filepath.Join(dir, "nope.pem") + " does not exist"},
		{"missing key", good.CertFile, filepath.Join(dir, "nokey.pem"), "tls.key: " + filepath.Join(dir, "nokey.pem") + " does not exist"},
		{"empty cert", write("empty.pem", "\n"), good.KeyFile, "is empty"},
		{"not PEM", write("junk.pem", "hello"), good.KeyFile, "holds no PEM certificate"},
		{"key not matching", good.CertFile, other.KeyFile, "is not the key of the certificate in " + good.CertFile},
		{"swapped", good.KeyFile, good.CertFile, "cert and key are swapped"},
		{"cert as key", good.CertFile, other.CertFile, "holds no PEM private key"},
		{"a folder", dir, good.KeyFile, "tls.cert"},
	} {
		_, err := Open(tc.cert, tc.key, zerolog.Nop())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	if os.Getuid() != 0 { // root reads everything
		p := write("secret.pem", string(keyPEM))
		os.Chmod(p, 0)
		if _, err := Open(good.CertFile, p, zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "cannot be read by camgate's user") {
			t.Errorf("unreadable key: %v", err)
		}
	}
}

func TestWarnings(t *testing.T) {
	now := time.Now()
	expired := certtest.Write(t, t.TempDir(), now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	l, err := Open(expired.CertFile, expired.KeyFile, zerolog.Nop())
	if err != nil {
		t.Fatalf("an expired certificate is served (with a warning), not refused: %v", err)
	}
	if w := l.Warnings(now); len(w) != 1 || !strings.Contains(w[0], "expired on") {
		t.Errorf("expired: %q", w)
	}
	future := certtest.Write(t, t.TempDir(), now.Add(24*time.Hour), now.Add(48*time.Hour))
	if l, err = Open(future.CertFile, future.KeyFile, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	if w := l.Warnings(now); len(w) != 1 || !strings.Contains(w[0], "not valid before") {
		t.Errorf("not yet valid: %q", w)
	}
	if w := Warnings(certtest.New(t).X509, "x", now); w != nil {
		t.Errorf("a valid certificate: %q", w)
	}
}

// TestReload: a renewed certificate is served without a restart; a bad one
// keeps the last good in service, logged once.
func TestReload(t *testing.T) {
	dir := t.TempDir()
	first := certtest.Write(t, dir, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	var logs bytes.Buffer
	l := open(t, first.CertFile, first.KeyFile, zerolog.New(&logs))
	if again, _ := Open(first.CertFile, first.KeyFile, zerolog.Nop()); again != l {
		t.Error("the same files opened twice give two loaders")
	}
	serial := func() string { return l.Certificate().Leaf.SerialNumber.String() }
	if serial() != first.Serial.String() {
		t.Fatalf("serving %s, want %s", serial(), first.Serial)
	}
	second := certtest.Write(t, dir, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if serial() != second.Serial.String() {
		t.Fatalf("after renewal serving %s, want %s", serial(), second.Serial)
	}
	if !strings.Contains(logs.String(), "TLS certificate reloaded") || !strings.Contains(logs.String(), second.Serial.String()) {
		t.Errorf("no reload line: %s", logs.String())
	}

	// A key that does not match: the second certificate stays, one line.
	logs.Reset()
	other := certtest.New(t)
	b, _ := os.ReadFile(other.KeyFile)
	later := time.Now().Add(5 * time.Second)
	os.WriteFile(second.KeyFile, b, 0o600)
	os.Chtimes(second.KeyFile, later, later)
	for range 5 {
		if serial() != second.Serial.String() {
			t.Fatalf("a bad key replaced the certificate in service")
		}
	}
	if n := strings.Count(logs.String(), "cannot be used"); n != 1 {
		t.Errorf("%d log lines for one bad version of the files, want 1: %s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "is not the key of the certificate") {
		t.Errorf("the log does not say what is wrong: %s", logs.String())
	}
	// Fixed: the next good pair is served.
	third := certtest.Write(t, dir, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if serial() != third.Serial.String() {
		t.Errorf("after the fix serving %s, want %s", serial(), third.Serial)
	}
}

// TestCheckEvery: without changes, the files are looked at no more than
// every CheckEvery.
func TestCheckEvery(t *testing.T) {
	dir := t.TempDir()
	first := certtest.Write(t, dir, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	l, err := Open(first.CertFile, first.KeyFile, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	l.checkEvery = time.Hour
	l.mu.Unlock()
	certtest.Write(t, dir, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if got := l.Certificate().Leaf.SerialNumber; got.Cmp(first.Serial) != 0 {
		t.Errorf("files read again before checkEvery passed")
	}
}

// FuzzParse: no pair of files, however broken, crashes the parser; an
// accepted pair has its certificate parsed.
func FuzzParse(f *testing.F) {
	dir := f.TempDir()
	c := certtest.Write(f, dir, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	certPEM, _ := os.ReadFile(c.CertFile)
	keyPEM, _ := os.ReadFile(c.KeyFile)
	f.Add(certPEM, keyPEM)
	f.Add(keyPEM, certPEM)
	f.Add(append(append([]byte{}, certPEM...), keyPEM...), []byte{})
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), []byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, certPEM, keyPEM []byte) {
		c, err := Parse(certPEM, keyPEM, "cert.pem", "key.pem")
		if err == nil && (c == nil || c.Leaf == nil) {
			t.Fatal("accepted without a certificate")
		}
	})
}
