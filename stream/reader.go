package stream

import (
	"context"
	"sync"
	"sync/atomic"
)

// ReaderQueue is how many units a reader may have waiting: about 5 s of a
// 25 fps camera with audio. A reader that falls further behind loses units up
// to the next keyframe.
const ReaderQueue = 256

// Reader is one viewer of a stream, for any protocol. Its protocol calls
// Read in a loop and sends what it gets.
type Reader struct {
	s     *Stream
	queue chan Unit

	// waitKey is set until the reader gets a keyframe: at the start, and
	// again after it lost units.
	waitKey atomic.Bool
	resync  atomic.Bool // waiting after a loss (counted), not at the start

	once sync.Once
	done chan struct{}
	err  error // why the reader ended; set before done is closed
}

func newReader(s *Stream) *Reader {
	r := &Reader{s: s, queue: make(chan Unit, ReaderQueue), done: make(chan struct{})}
	r.waitKey.Store(true)
	return r
}

// offer queues u unless the reader waits for a keyframe or is full. Called
// by writers; never blocks.
func (r *Reader) offer(u Unit) {
	if r.waitKey.Load() {
		if u.Kind != Video || !u.Keyframe {
			if r.resync.Load() {
				r.s.drops.Add(1)
			}
			return
		}
		r.waitKey.Store(false)
		r.resync.Store(false)
	}
	select {
	case r.queue <- u:
	default:
		r.s.drops.Add(1)
		r.Resync()
	}
}

// Read returns the next unit. It fails when ctx ends, the reader is closed,
// or the stream ends or changes format (ErrClosed, ErrDescriptionChanged).
func (r *Reader) Read(ctx context.Context) (Unit, error) {
	select {
	case u := <-r.queue:
		r.s.bytesOut.Add(u.size())
		if u.Kind == Video {
			r.s.framesOut.Add(1)
		}
		return u, nil
	case <-r.done:
		return Unit{}, r.err
	case <-ctx.Done():
		return Unit{}, ctx.Err()
	}
}

// Resync tells the hub that the reader's protocol lost units after Read
// returned them (its own send queue was full): the reader gets nothing more
// until the next keyframe, so that its viewer never sees a smeared picture.
func (r *Reader) Resync() {
	r.resync.Store(true)
	r.waitKey.Store(true)
}

// Done is closed when the reader has ended.
func (r *Reader) Done() <-chan struct{} { return r.done }

// Close detaches the reader. It is safe to call more than once.
func (r *Reader) Close() error {
	r.s.removeReader(r)
	r.end(ErrClosed)
	return nil
}

func (r *Reader) end(err error) {
	r.once.Do(func() {
		r.err = err
		close(r.done)
	})
}
