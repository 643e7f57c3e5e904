package stream

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Hub holds every published stream, by path.
type Hub struct {
	mu      sync.RWMutex
	streams map[string]*Stream
	closed  bool
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{streams: map[string]*Stream{}} }

// PublishOptions are a stream's settings.
type PublishOptions struct {
	// Description, if not nil, makes the stream ready at once (a transcoded
	// output, whose format is fixed). Without one, the stream answers "not
	// ready" until SetDescription (a relay whose camera was never reached).
	Description *Description

	// OnJoin, if not nil, is called each time a reader joins, on the
	// joining reader's goroutine; it must not block. An encoder uses it to
	// send an IDR at once, so that a new viewer sees a picture within one
	// frame instead of at the end of the GOP.
	OnJoin func()
}

// ErrClosed is returned for a stream or hub that was closed.
var ErrClosed = errors.New("stream closed")

// Publish creates the stream at path. The path must not be in use.
func (h *Hub) Publish(path string, opts PublishOptions) (*Stream, error) {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil, errors.New("stream hub: empty path")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	if _, dup := h.streams[path]; dup {
		return nil, fmt.Errorf("stream hub: path %q is already published", path)
	}
	s := newStream(h, path, opts)
	h.streams[path] = s
	return s, nil
}

// Stream returns the stream at path, or nil.
func (h *Hub) Stream(path string) *Stream {
	path = strings.Trim(path, "/")
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.streams[path]
}

// Paths returns the published paths, sorted.
func (h *Hub) Paths() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]string, 0, len(h.streams))
	for p := range h.streams {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Close ends every stream and its readers. Publish fails afterwards.
func (h *Hub) Close() error {
	h.mu.Lock()
	streams := h.streams
	h.streams, h.closed = map[string]*Stream{}, true
	h.mu.Unlock()
	for _, s := range streams {
		s.end()
	}
	return nil
}

func (h *Hub) remove(s *Stream) {
	h.mu.Lock()
	if h.streams[s.path] == s {
		delete(h.streams, s.path)
	}
	h.mu.Unlock()
}
