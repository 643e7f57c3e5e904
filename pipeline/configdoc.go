package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"go.yaml.in/yaml/v3"
)

// ConfigDoc is the configuration file as a YAML document, for changes made
// through the API: it edits the document's tree, so the comments and the
// order of everything it does not touch are kept, and writes it atomically.
type ConfigDoc struct {
	mu   sync.Mutex
	path string // "" for a configuration that lives in memory only (the demo)
	root yaml.Node
}

// LoadConfigDoc reads path.
func LoadConfigDoc(path string) (*ConfigDoc, error) {
	d := &ConfigDoc{path: path}
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

func (d *ConfigDoc) setEmpty() error {
	return yaml.Unmarshal([]byte("cameras: {}\n"), &d.root)
}

// Reload reads the file again, for a configuration changed on disk (SIGHUP).
// The document changes only if the file holds a valid configuration.
func (d *ConfigDoc) Reload() (*File, error) {
	if d.path == "" {
		return d.Parse()
	}
	b, err := os.ReadFile(d.path)
	if err != nil {
		return nil, err
	}
	f, err := ParseConfig(b)
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

// NewConfigDoc makes an in-memory document from YAML text, for a
// configuration with no file behind it (the demo).
func NewConfigDoc(text string) (*ConfigDoc, error) {
	d := &ConfigDoc{}
	if err := yaml.Unmarshal([]byte(text), &d.root); err != nil {
		return nil, err
	}
	return d, nil
}

// Path returns the file the document is saved to, or "".
func (d *ConfigDoc) Path() string { return d.path }

// Bytes returns the document as YAML.
func (d *ConfigDoc) Bytes() ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bytesLocked()
}

func (d *ConfigDoc) bytesLocked() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&d.root); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// Parse validates the document and returns its configuration.
func (d *ConfigDoc) Parse() (*File, error) {
	b, err := d.Bytes()
	if err != nil {
		return nil, err
	}
	return ParseConfig(b)
}

// section returns the mapping under key ("cameras", "grids") in the
// document's top-level mapping, creating it if asked.
func (d *ConfigDoc) section(key string, create bool) *yaml.Node {
	top := &d.root
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		top = top.Content[0]
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == key {
			n := top.Content[i+1]
			if n.Kind != yaml.MappingNode && create {
				*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			}
			return n
		}
	}
	if !create {
		return nil
	}
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	top.Content = append(top.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, n)
	return n
}

// Edit applies fn to a copy of the document, then checks that the result is
// a valid configuration; only then does the document change. It returns the
// new configuration.
func (d *ConfigDoc) Edit(fn func(e *DocEdit) error) (*File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	old, err := d.bytesLocked()
	if err != nil {
		return nil, err
	}
	if err := fn(&DocEdit{d: d}); err != nil {
		d.restore(old)
		return nil, err
	}
	b, err := d.bytesLocked()
	if err != nil {
		d.restore(old)
		return nil, err
	}
	f, err := ParseConfig(b)
	if err != nil {
		d.restore(old)
		return nil, err
	}
	return f, nil
}

func (d *ConfigDoc) restore(b []byte) {
	var n yaml.Node
	if yaml.Unmarshal(b, &n) == nil {
		d.root = n
	}
}

// DocEdit changes entries of the document inside ConfigDoc.Edit.
type DocEdit struct{ d *ConfigDoc }

// Set makes section[name] the given settings (YAML or JSON), replacing
// whatever was there, or adding it at the end.
func (e *DocEdit) Set(section, name string, settings []byte) error {
	var n yaml.Node
	if err := yaml.Unmarshal(settings, &n); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = *n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return errors.New("body: expected an object of settings")
	}
	n.Style = 0 // block style in the file, whatever the body's
	sec := e.d.section(section, true)
	for i := 0; i+1 < len(sec.Content); i += 2 {
		if sec.Content[i].Value == name {
			sec.Content[i+1] = &n
			return nil
		}
	}
	sec.Content = append(sec.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}, &n)
	return nil
}

// Delete removes section[name]; it reports whether it was there.
func (e *DocEdit) Delete(section, name string) bool {
	sec := e.d.section(section, false)
	if sec == nil {
		return false
	}
	for i := 0; i+1 < len(sec.Content); i += 2 {
		if sec.Content[i].Value == name {
			sec.Content = append(sec.Content[:i], sec.Content[i+2:]...)
			return true
		}
	}
	return false
}

// Has reports whether section[name] exists.
func (e *DocEdit) Has(section, name string) bool {
	sec := e.d.section(section, false)
	if sec == nil {
		return false
	}
	for i := 0; i+1 < len(sec.Content); i += 2 {
		if sec.Content[i].Value == name {
			return true
		}
	}
	return false
}

// Save writes the document to its file atomically: a temporary file in the
// same folder, synced, then renamed over the old one. A crash leaves either
// the old file or the new one, never half of one.
func (d *ConfigDoc) Save() error {
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
