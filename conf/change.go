package conf

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// Errors of Change, for the API to answer with the right status.
var (
	// ErrFileChanged: the file was changed on disk since camgate read or
	// saved it, and the change cannot be merged with that edit (the edited
	// file is not valid, or it changed the same camera or grid).
	ErrFileChanged = errors.New("the configuration file was changed on disk")
	// ErrNotApplied: the change is valid but could not be applied (a camera
	// or grid could not start); nothing was changed or saved.
	ErrNotApplied = errors.New("the change could not be applied; nothing was changed")
	// ErrNotSaved: the change could not be saved; it was undone.
	ErrNotSaved = errors.New("the change could not be saved; it was undone")
)

// Change makes an API change in one step, as far as anyone can see: it
// edits the document with edit, checks the result, runs it with apply, and
// saves it. On any error the document, the file and (through apply, called
// again with the configuration before) what runs are left as they were.
//
// When the file was edited by hand since camgate last read or saved it, the
// change is made on the edited file, not over it: the hand edit is kept, and
// applied with the change. Refusing every change after a hand edit would be
// simpler, but the hand edit is a valid configuration the watcher applies
// within seconds anyway, and most likely touched another camera: merging
// loses nothing. Only when it cannot be merged safely is the change refused
// (ErrFileChanged): the edited file is not valid (someone is in the middle of
// an edit: saving would overwrite it), or the hand edit changed the very
// camera or grid the change is about.
func (d *Document) Change(edit func(e *Editor) error, apply func(*Conf) error) (*Conf, error) {
	d.tx.Lock()
	defer d.tx.Unlock()
	var disk []byte
	if d.path != "" {
		b, err := os.ReadFile(d.path)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotSaved, err)
		}
		if sha256.Sum256(b) != d.known {
			disk = b
		}
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	before, err := d.bytesLocked()
	if err != nil {
		return nil, err
	}
	if disk != nil {
		if _, err := Parse(disk); err != nil {
			return nil, fmt.Errorf("%w and is not valid (%v): fix or undo that edit, then try again", ErrFileChanged, err)
		}
		var n yaml.Node
		if err := yaml.Unmarshal(disk, &n); err != nil {
			return nil, fmt.Errorf("%w and is not valid (%v): fix or undo that edit, then try again", ErrFileChanged, err)
		}
		d.root = n
		if d.root.Kind == 0 {
			d.setEmpty()
		}
	}
	e := &Editor{d: d}
	f, err := d.editLocked(e, edit)
	if err != nil {
		d.restore(before)
		return nil, err
	}
	if disk != nil {
		if err := handEdited(before, disk, e.touched); err != nil {
			d.restore(before)
			return nil, err
		}
	}
	if err := apply(f); err != nil {
		d.restore(before)
		return nil, fmt.Errorf("%w: %v", ErrNotApplied, err)
	}
	b, err := d.bytesLocked()
	if err == nil {
		err = d.write(b)
	}
	if err != nil {
		d.restore(before)
		if old, perr := Parse(before); perr == nil {
			apply(old)
		}
		return nil, fmt.Errorf("%w: %v", ErrNotSaved, err)
	}
	return f, nil
}

// handEdited refuses a change to an entry that the file on disk has
// different from the document.
func handEdited(doc, disk []byte, touched []entry) error {
	for _, t := range touched {
		a, aok, err := entryValue(doc, t)
		if err != nil {
			return err
		}
		b, bok, err := entryValue(disk, t)
		if err != nil {
			return err
		}
		if aok != bok || !reflect.DeepEqual(a, b) {
			what := t.section[:len(t.section)-1]
			return fmt.Errorf("%w: %s %q was changed there since camgate last read the file; read it again (GET), then retry", ErrFileChanged, what, t.name)
		}
	}
	return nil
}

// entryValue decodes section[name] of a YAML text, and reports whether it is
// there. Comments and style do not count.
func entryValue(text []byte, t entry) (any, bool, error) {
	var top map[string]map[string]any
	if err := yaml.Unmarshal(text, &top); err != nil {
		// A section that is not a mapping has no entries to compare.
		var loose map[string]any
		if yaml.Unmarshal(text, &loose) != nil {
			return nil, false, err
		}
		return nil, false, nil
	}
	v, ok := top[t.section][t.name]
	return v, ok, nil
}

// Reload reads the file again and, if its content is not what the document
// holds, takes it and runs apply with it. Unless force is set (SIGHUP), a
// file whose content was already seen is not read again: a content camgate
// saved itself, or one already refused. changed reports whether a new
// content was found. A file that is not a valid configuration changes
// nothing (err says why).
func (d *Document) Reload(force bool, apply func(*Conf) error) (changed bool, err error) {
	d.tx.Lock()
	defer d.tx.Unlock()
	if d.path == "" {
		if !force {
			return false, nil
		}
		f, err := d.Parse()
		if err != nil {
			return false, err
		}
		return true, apply(f)
	}
	b, err := os.ReadFile(d.path)
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(b)
	if !force && (sum == d.seen || sum == d.known) {
		d.seen = sum
		return false, nil
	}
	d.seen = sum
	f, err := Parse(b)
	if err != nil {
		return true, fmt.Errorf("%s: %w", d.path, err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return true, err
	}
	d.mu.Lock()
	d.root = n
	if d.root.Kind == 0 {
		d.setEmpty()
	}
	d.mu.Unlock()
	d.known = sum
	return true, apply(f)
}
