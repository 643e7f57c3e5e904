package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/camgate/camgate/transcode"
)

// snapshotKeepAlive is how long a camera keeps decoding (or a grid's cameras
// keep feeding it) after a snapshot was asked for, when nothing else needs
// the pictures: a dashboard refreshing every few seconds then gets its
// pictures at once instead of waiting for a keyframe each time.
const snapshotKeepAlive = time.Minute

// ErrNoPicture is returned by Snapshot when no picture comes in time (the
// camera is down, or just started).
var ErrNoPicture = errors.New("no picture from the camera yet")

// snapshotter hands pictures from the goroutine that owns them (a camera's
// decoder, a grid's compositor) to Snapshot callers, as JPEG. The owner calls
// serve with each picture; callers wait in take.
type snapshotter struct {
	requests chan snapshotRequest
	until    atomic.Int64           // pictures are wanted until then (UnixNano)
	jpeg     *transcode.JPEGEncoder // made and used by the owner only
}

// snapshotRequest asks the owner for its next picture as JPEG.
type snapshotRequest struct {
	width int
	reply chan snapshotReply // buffered: the owner never waits on it
}

type snapshotReply struct {
	jpeg []byte
	err  error
}

func newSnapshotter() *snapshotter {
	return &snapshotter{requests: make(chan snapshotRequest, 16)}
}

// take asks for the next picture, width pixels wide (0: its own), and waits
// for it until ctx ends or the owner stops.
func (s *snapshotter) take(ctx context.Context, stopped <-chan struct{}, what string, width int) ([]byte, error) {
	if width < 0 || width > transcode.MaxDimension {
		return nil, fmt.Errorf("width %d: between 0 and %d", width, transcode.MaxDimension)
	}
	s.until.Store(time.Now().Add(snapshotKeepAlive).UnixNano())
	req := snapshotRequest{width: width, reply: make(chan snapshotReply, 1)}
	select {
	case s.requests <- req:
	case <-ctx.Done():
		return nil, ErrNoPicture
	case <-stopped:
		return nil, errors.New(what + " stopped")
	}
	select {
	case r := <-req.reply:
		return r.jpeg, r.err
	case <-ctx.Done():
		return nil, ErrNoPicture
	case <-stopped:
		return nil, errors.New(what + " stopped")
	}
}

// wanted tells the owner whether snapshots keep its pictures coming.
func (s *snapshotter) wanted(now time.Time) bool { return now.UnixNano() < s.until.Load() }

// serve answers the pending requests with picture f. Owner only.
func (s *snapshotter) serve(f *transcode.Frame) {
	for {
		var req snapshotRequest
		select {
		case req = <-s.requests:
		default:
			return
		}
		if s.jpeg == nil {
			e, err := transcode.NewJPEGEncoder(80)
			if err != nil {
				req.reply <- snapshotReply{err: err}
				continue
			}
			s.jpeg = e
		}
		b, err := s.jpeg.Encode(f, req.width)
		req.reply <- snapshotReply{jpeg: b, err: err}
	}
}

// close frees the JPEG encoder. Owner only, once it serves no more.
func (s *snapshotter) close() {
	if s.jpeg != nil {
		s.jpeg.Close()
		s.jpeg = nil
	}
}

// Snapshot returns the camera's next decoded picture as JPEG, width pixels
// wide (0: the camera's width). A camera that decodes nothing otherwise (a
// passthrough main and no sub) starts decoding and keeps at it for a minute
// after the last snapshot. A snapshot no wider than the camera's own
// low-resolution stream (sub_url) is made from that stream's pictures.
func (c *Camera) Snapshot(ctx context.Context, width int) ([]byte, error) {
	return c.snapshotFeed(width).snaps.take(ctx, c.ctx.Done(), "camera", width)
}

// Snapshot returns the grid's next composed picture as JPEG, width pixels
// wide (0: the grid's width). A grid nobody plays has its cameras feed it for
// a minute after the last snapshot.
func (g *Grid) Snapshot(ctx context.Context, width int) ([]byte, error) {
	return g.snaps.take(ctx, g.ctx.Done(), "grid", width)
}
