package stream

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/camgate/camgate/codec"
)

// Stream is one published path. One writer (or several, for the tracks of a
// camera's session that arrive on different goroutines) writes units; any
// number of readers of any protocol read them.
type Stream struct {
	hub    *Hub
	path   string
	onJoin func()

	mu      sync.Mutex // guards desc, version, closed and changes to readers
	desc    *Description
	version uint64
	closed  bool

	// readers is replaced, never modified, so that writers range over it
	// without a lock.
	readers atomic.Pointer[[]*Reader]

	// videoTrack is desc.VideoTrack, for writers of access units to read
	// without the lock once per picture.
	videoTrack atomic.Int32

	joins     atomic.Uint64
	bytesOut  atomic.Uint64
	framesOut atomic.Uint64
	drops     atomic.Uint64
}

func newStream(h *Hub, path string, opts PublishOptions) *Stream {
	s := &Stream{hub: h, path: path, onJoin: opts.OnJoin}
	if opts.Description != nil {
		d := *opts.Description
		s.desc, s.version = &d, 1
		s.videoTrack.Store(int32(d.VideoTrack))
	}
	s.readers.Store(&[]*Reader{})
	return s
}

// Path returns the stream's path.
func (s *Stream) Path() string { return s.path }

// Description returns the current description and its version, which grows
// with every change; ok is false while the stream is not ready.
func (s *Stream) Description() (d Description, version uint64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.desc == nil {
		return Description{}, 0, false
	}
	return *s.desc, s.version, true
}

// ErrDescriptionChanged ends the readers of a stream whose description
// changed in a way their decoders cannot follow (another codec, other
// tracks): they connect again.
var ErrDescriptionChanged = errors.New("the stream's format changed")

// SetDescription makes the stream ready with d, or updates it. A description
// with another Key than the current one ends every reader; it reports
// whether that happened.
func (s *Stream) SetDescription(d Description) (readersEnded bool) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	replace := s.desc != nil && s.desc.Key != d.Key
	s.desc = &d
	s.version++
	s.videoTrack.Store(int32(d.VideoTrack))
	var ended []*Reader
	if replace {
		ended = *s.readers.Load()
		s.readers.Store(&[]*Reader{})
	}
	s.mu.Unlock()
	for _, r := range ended {
		r.end(ErrDescriptionChanged)
	}
	return len(ended) > 0
}

// Write hands a unit to every reader. The unit's slices belong to the hub
// from now on (see Unit). It never blocks: a reader whose queue is full
// loses units up to the next keyframe.
func (s *Stream) Write(u Unit) {
	if u.Kind == Video && u.Keyframe {
		s.trackParameterSets(u.Data)
	}
	for _, r := range *s.readers.Load() {
		r.offer(u)
	}
}

// WriteAccessUnit writes a video access unit whose memory the caller reuses
// afterwards (an encoder's output): the hub copies it, and only when someone
// reads the stream.
func (s *Stream) WriteAccessUnit(au *codec.AccessUnit) {
	if au.Keyframe {
		s.trackParameterSets(au.NALUs)
	}
	readers := *s.readers.Load()
	if len(readers) == 0 {
		return
	}
	u := Unit{Track: int(s.videoTrack.Load()), Kind: Video, PTS: au.PTS, Keyframe: au.Keyframe, Data: cloneData(au.NALUs)}
	for _, r := range readers {
		r.offer(u)
	}
}

// trackParameterSets puts parameter sets sent in band into the description,
// so that readers who join later get the current ones.
func (s *Stream) trackParameterSets(au [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.desc == nil {
		return
	}
	params := s.desc.Video.ParameterSets
	if !params.Update(s.desc.Video.Codec, au) {
		return
	}
	d := *s.desc // readers may hold the old one: replace, never modify
	d.Video.ParameterSets = params
	if w, h := params.PictureSize(d.Video.Codec); w > 0 && h > 0 {
		d.Video.Width, d.Video.Height = w, h
	}
	s.desc = &d
	s.version++
}

// HasReaders reports whether anyone reads the stream; an encoder rests while
// nobody does.
func (s *Stream) HasReaders() bool { return len(*s.readers.Load()) > 0 }

// AddReader attaches a reader. It fails when the stream is closed or not
// ready. The reader gets units from the next keyframe on.
func (s *Stream) AddReader() (*Reader, error) {
	r := newReader(s)
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return nil, ErrClosed
	case s.desc == nil:
		s.mu.Unlock()
		return nil, ErrNotReady
	}
	cur := *s.readers.Load()
	next := make([]*Reader, len(cur), len(cur)+1)
	copy(next, cur)
	next = append(next, r)
	s.readers.Store(&next)
	s.mu.Unlock()
	s.joins.Add(1)
	if s.onJoin != nil {
		s.onJoin()
	}
	return r, nil
}

// ErrNotReady is returned by AddReader while a stream has no description
// yet: its camera has not connected.
var ErrNotReady = errors.New("stream not ready: its camera has not connected yet")

func (s *Stream) removeReader(r *Reader) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := *s.readers.Load()
	next := make([]*Reader, 0, len(cur))
	for _, o := range cur {
		if o != r {
			next = append(next, o)
		}
	}
	if len(next) != len(cur) {
		s.readers.Store(&next)
	}
}

// Close unpublishes the stream and ends its readers. It is safe to call more
// than once.
func (s *Stream) Close() error {
	s.hub.remove(s)
	s.end()
	return nil
}

func (s *Stream) end() {
	s.mu.Lock()
	s.closed = true
	ended := *s.readers.Load()
	s.readers.Store(&[]*Reader{})
	s.mu.Unlock()
	for _, r := range ended {
		r.end(ErrClosed)
	}
}

// Stats are a stream's counters, for every protocol together.
type Stats struct {
	Path      string
	Readers   int    // readers now
	Joins     uint64 // readers that joined so far
	BytesOut  uint64 // payload bytes handed to readers
	FramesOut uint64 // video access units handed to readers
	Drops     uint64 // units readers lost because they were too slow
}

// Stats returns the stream's counters.
func (s *Stream) Stats() Stats {
	return Stats{
		Path: s.path, Readers: len(*s.readers.Load()), Joins: s.joins.Load(),
		BytesOut: s.bytesOut.Load(), FramesOut: s.framesOut.Load(), Drops: s.drops.Load(),
	}
}
