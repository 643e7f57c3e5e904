package conf

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Document is the configuration file as a YAML document, for changes made
// through the API: it edits the document's tree, so the comments and the
// order of everything it does not touch are kept, and writes it atomically.
type Document struct {
	mu   sync.Mutex
	path string // "" for a configuration that lives in memory only (the demo)
	root yaml.Node
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
	if d.root.Kind == 0 {
		return d, d.setEmpty()
	}
	return d, nil
}

func (d *Document) setEmpty() error {
	return yaml.Unmarshal([]byte("cameras: {}\n"), &d.root)
}

// Reload reads the file again, for a configuration changed on disk (SIGHUP).
// The document changes only if the file holds a valid configuration.
func (d *Document) Reload() (*Conf, error) {
	if d.path == "" {
		return d.Parse()
	}
	b, err := os.ReadFile(d.path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.path, err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.root = n
	if d.root.Kind == 0 {
		d.setEmpty()
	}
	d.mu.Unlock()
	return f, nil
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
	if d.path == "" {
		return nil
	}
	b, err := d.Bytes()
	if err != nil {
		return err
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
	if dirf, err := os.Open(dir); err == nil {
		dirf.Sync()
		dirf.Close()
	}
	return nil
}
