package conf

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Document is the configuration file as a YAML document, for changes made
// through the API: it edits the document's tree, so the comments and the
// order of everything it does not touch are kept, and writes it atomically.
//
// Changes (Change) and reloads (Reload) run one at a time, each from reading
// the file to applying and saving it (change.go): no reload can come between
// an API change and its save, no two changes apply out of order, and a hand
// edit of the file is never overwritten.
type Document struct {
	tx   sync.Mutex // one Change or Reload at a time, held across apply and save
	mu   sync.Mutex // root
	path string     // "" for a configuration that lives in memory only (the demo)
	root yaml.Node

	// known is the hash of the file's content the document holds: as read,
	// or as camgate saved it. A file with another content was changed by
	// someone else. seen is the hash of the content last read, valid or not.
	known, seen [sha256.Size]byte
}

// LoadDocument reads path.
func LoadDocument(path string) (*Document, error) {
	d := &Document{path: path}
	if path == "" {
		return d, d.setEmpty()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(b, &d.root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d.known = sha256.Sum256(b)
	d.seen = d.known
	if d.root.Kind == 0 {
		return d, d.setEmpty()
	}
	return d, nil
}

func (d *Document) setEmpty() error {
	return yaml.Unmarshal([]byte("cameras: {}\n"), &d.root)
}

// NewDocument makes an in-memory document from YAML text, for a
// configuration with no file behind it (the demo).
func NewDocument(text string) (*Document, error) {
	d := &Document{}
	if err := yaml.Unmarshal([]byte(text), &d.root); err != nil {
		return nil, err
	}
	return d, nil
}

// Path returns the file the document is saved to, or "".
func (d *Document) Path() string { return d.path }

// Bytes returns the document as YAML.
func (d *Document) Bytes() ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bytesLocked()
}

func (d *Document) bytesLocked() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&d.root); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// Parse validates the document and returns its configuration.
func (d *Document) Parse() (*Conf, error) {
	b, err := d.Bytes()
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Save writes the document to its file atomically: a temporary file in the
// same folder, synced, then renamed over the old one. A crash leaves either
// the old file or the new one, never half of one.
func (d *Document) Save() error {
	d.tx.Lock()
	defer d.tx.Unlock()
	return d.save()
}

// save is Save with tx held.
func (d *Document) save() error {
	if d.path == "" {
		return nil
	}
	b, err := d.Bytes()
	if err != nil {
		return err
	}
	return d.write(b)
}

// write replaces the file's content with b, atomically; tx held.
func (d *Document) write(b []byte) error {
	if d.path == "" {
		return nil
	}
	dir := filepath.Dir(d.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(d.path)+".*")
	if err != nil {
		return fmt.Errorf("save configuration: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing to remove
	mode := os.FileMode(0o600)  // it may hold camera passwords
	if st, err := os.Stat(d.path); err == nil {
		mode = st.Mode().Perm()
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("save configuration: %w", err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("save configuration: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save configuration: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save configuration: %w", err)
	}
	if err := os.Rename(tmp.Name(), d.path); err != nil {
		return fmt.Errorf("save configuration: %w", err)
	}
	// The file now holds what camgate wrote: its watcher will not take it
	// for a hand edit.
	d.known = sha256.Sum256(b)
	d.seen = d.known
	if dirf, err := os.Open(dir); err == nil {
		dirf.Sync()
		dirf.Close()
	}
	return nil
}
