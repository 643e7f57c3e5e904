// Package certfile serves a TLS certificate from the operator's PEM files and
// picks up a renewed one (Let's Encrypt, an internal CA) without a restart.
package certfile

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// CheckEvery is how often, at most, a Loader looks at its files again: on a
// TLS handshake, when this long has passed since it last looked.
const CheckEvery = 2 * time.Second

// Loader is a certificate and its key read from PEM files. It serves the
// last good pair: a file being rewritten, or replaced by a bad one, keeps
// the previous certificate in service, and the problem is logged once.
type Loader struct {
	certFile, keyFile string
	log               zerolog.Logger
	checkEvery        time.Duration

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string    // the files' sizes and times when cert was read
	checked time.Time // when the files were last looked at
	bad     string    // the stamp of the last bad version, logged already
}

// loaders are the open Loaders, one per pair of files, so that listeners
// sharing a certificate share its reloads and its log lines.
var loaders = struct {
	sync.Mutex
	m map[[2]string]*Loader
}{m: map[[2]string]*Loader{}}

// Open returns the Loader of a certificate and key file pair, reading them
// now: an error says what is wrong with them and what to do. The same pair
// opened again gives the same Loader (log is the first opener's).
func Open(certFile, keyFile string, log zerolog.Logger) (*Loader, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("tls: give both a certificate file (cert) and its key file (key)")
	}
	key := [2]string{abs(certFile), abs(keyFile)}
	loaders.Lock()
	defer loaders.Unlock()
	if l := loaders.m[key]; l != nil {
		return l, nil
	}
	l := &Loader{certFile: key[0], keyFile: key[1], log: log, checkEvery: CheckEvery}
	cert, stamp, err := l.read()
	if err != nil {
		return nil, err
	}
	l.cert, l.stamp, l.checked = cert, stamp, time.Now()
	loaders.m[key] = l
	return l, nil
}

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// Files returns the certificate and key files.
func (l *Loader) Files() (cert, key string) { return l.certFile, l.keyFile }

// TLSConfig is a server configuration that serves the Loader's current
// certificate.
func (l *Loader) TLSConfig() *tls.Config {
	return &tls.Config{GetCertificate: l.GetCertificate, MinVersion: tls.VersionTLS12}
}

// GetCertificate implements tls.Config.GetCertificate.
func (l *Loader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return l.Certificate(), nil
}

// Certificate returns the certificate in service, after reading the files
// again if they changed.
func (l *Loader) Certificate() *tls.Certificate {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.checked) < l.checkEvery {
		return l.cert
	}
	l.checked = now
	st := stamp(l.certFile, l.keyFile)
	if st == l.stamp || st == l.bad {
		return l.cert
	}
	cert, st, err := l.read()
	if err != nil {
		// Logged once per version of the files: a renewal that writes the
		// certificate, then the key, passes through here once, harmlessly.
		l.bad = st
		l.log.Warn().Err(err).Str("cert", l.certFile).Msg("TLS certificate files changed but cannot be used: still serving the previous certificate")
		return l.cert
	}
	l.cert, l.stamp, l.bad = cert, st, ""
	l.log.Info().Str("cert", l.certFile).Str("serial", cert.Leaf.SerialNumber.String()).
		Time("not_after", cert.Leaf.NotAfter).Msg("TLS certificate reloaded")
	return l.cert
}

// Warnings are what is wrong with the certificate in service that does not
// stop camgate from serving it: expired, or not valid yet.
func (l *Loader) Warnings(now time.Time) []string {
	return Warnings(l.Certificate().Leaf, l.certFile, now)
}

// Warnings are what is wrong with leaf, read from file, at now.
func Warnings(leaf *x509.Certificate, file string, now time.Time) []string {
	switch {
	case now.After(leaf.NotAfter):
		return []string{fmt.Sprintf("tls: the certificate in %s expired on %s: clients refuse it; renew it (camgate picks up the new file without a restart)",
			file, leaf.NotAfter.UTC().Format(time.DateOnly))}
	case now.Before(leaf.NotBefore):
		return []string{fmt.Sprintf("tls: the certificate in %s is not valid before %s: check this machine's clock",
			file, leaf.NotBefore.UTC().Format(time.RFC3339))}
	}
	return nil
}

// read reads and checks both files; st is their stamp before reading, so
// that a file changed while being read is read again next time.
func (l *Loader) read() (cert *tls.Certificate, st string, err error) {
	st = stamp(l.certFile, l.keyFile)
	certPEM, err := readFile("cert", l.certFile)
	if err != nil {
		return nil, st, err
	}
	keyPEM, err := readFile("key", l.keyFile)
	if err != nil {
		return nil, st, err
	}
	c, err := Parse(certPEM, keyPEM, l.certFile, l.keyFile)
	return c, st, err
}

// Parse checks a certificate and key in PEM and returns them as a
// certificate to serve; the file names are for the errors.
func Parse(certPEM, keyPEM []byte, certFile, keyFile string) (*tls.Certificate, error) {
	certBlocks, keyBlocks := pemTypes(certPEM), pemTypes(keyPEM)
	switch {
	case !certBlocks["CERTIFICATE"] && hasKey(certBlocks) && keyBlocks["CERTIFICATE"]:
		return nil, fmt.Errorf("tls: %s holds a key and %s a certificate: cert and key are swapped", certFile, keyFile)
	case !certBlocks["CERTIFICATE"]:
		return nil, fmt.Errorf("tls.cert: %s holds no PEM certificate (a block that starts with -----BEGIN CERTIFICATE-----)", certFile)
	case !hasKey(keyBlocks) && hasKey(certBlocks):
		// A single file holding both is common (HAProxy's format): accept it as the key file too.
	case !hasKey(keyBlocks):
		return nil, fmt.Errorf("tls.key: %s holds no PEM private key (a block that starts with -----BEGIN PRIVATE KEY----- or -----BEGIN EC/RSA PRIVATE KEY-----)", keyFile)
	}
	if !hasKey(keyBlocks) {
		keyPEM = certPEM
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return nil, fmt.Errorf("tls: the key in %s is not the key of the certificate in %s: give the key the certificate was issued for", keyFile, certFile)
		}
		return nil, fmt.Errorf("tls: %s and %s: %w", certFile, keyFile, err)
	}
	if c.Leaf == nil {
		if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return nil, fmt.Errorf("tls.cert: %s: %w", certFile, err)
		}
	}
	return &c, nil
}

// pemTypes returns the types of the PEM blocks in b.
func pemTypes(b []byte) map[string]bool {
	types := map[string]bool{}
	for len(b) > 0 {
		block, rest := pem.Decode(b)
		if block == nil {
			break
		}
		types[block.Type] = true
		b = rest
	}
	return types
}

func hasKey(types map[string]bool) bool {
	for t := range types {
		if t == "PRIVATE KEY" || strings.HasSuffix(t, " PRIVATE KEY") {
			return true
		}
	}
	return false
}

func readFile(setting, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("tls.%s: %s does not exist: give the path of the PEM file", setting, path)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("tls.%s: %s cannot be read by camgate's user (uid %d): give it read access (e.g. a group the service runs in)", setting, path, os.Getuid())
	case err != nil:
		return nil, fmt.Errorf("tls.%s: %w", setting, err)
	case len(bytes.TrimSpace(b)) == 0:
		return nil, fmt.Errorf("tls.%s: %s is empty", setting, path)
	}
	return b, nil
}

// stamp identifies a version of the two files by their sizes and times
// (through symbolic links, as Let's Encrypt's live/ folder has them).
func stamp(files ...string) string {
	var b strings.Builder
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			fmt.Fprint(&b, st.Size(), st.ModTime().UnixNano(), ";")
		} else {
			b.WriteString("-;")
		}
	}
	return b.String()
}
