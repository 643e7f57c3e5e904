package conf

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// section returns the mapping under key ("cameras", "grids") in the
// document's top-level mapping, creating it if asked.
func (d *Document) section(key string, create bool) *yaml.Node {
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
// new configuration. (Change also applies and saves it.)
func (d *Document) Edit(fn func(e *Editor) error) (*Conf, error) {
	d.tx.Lock()
	defer d.tx.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.editLocked(&Editor{d: d}, fn)
}

// editLocked is Edit with d.mu held.
func (d *Document) editLocked(e *Editor, fn func(e *Editor) error) (*Conf, error) {
	old, err := d.bytesLocked()
	if err != nil {
		return nil, err
	}
	if err := fn(e); err != nil {
		d.restore(old)
		return nil, err
	}
	b, err := d.bytesLocked()
	if err != nil {
		d.restore(old)
		return nil, err
	}
	f, err := Parse(b)
	if err != nil {
		d.restore(old)
		return nil, err
	}
	return f, nil
}

func (d *Document) restore(b []byte) {
	var n yaml.Node
	if yaml.Unmarshal(b, &n) == nil {
		d.root = n
	}
}

// Editor changes entries of the document inside Document.Edit and
// Document.Change.
type Editor struct {
	d       *Document
	touched []entry // the entries Set, Delete and Has looked at
}

// entry names a camera or grid of the document.
type entry struct{ section, name string }

func (e *Editor) touch(section, name string) {
	e.touched = append(e.touched, entry{section, name})
}

// Set makes section[name] the given settings (YAML or JSON), replacing
// whatever was there, or adding it at the end.
func (e *Editor) Set(section, name string, settings []byte) error {
	e.touch(section, name)
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
	plainStyle(&n) // block style and plain keys in the file, whatever the body's (JSON)
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
func (e *Editor) Delete(section, name string) bool {
	e.touch(section, name)
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
func (e *Editor) Has(section, name string) bool {
	e.touch(section, name)
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

// plainStyle clears the style of n and its children: a JSON body's quoted
// keys and flow mappings are written as the rest of the file is. The
// encoder still quotes a string that would read as something else.
func plainStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		plainStyle(c)
	}
}
