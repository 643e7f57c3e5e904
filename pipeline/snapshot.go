package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/camgate/camgate/transcode"
)

// snapshotKeepAlive is how long a camera keeps decoding after a snapshot was
// asked for, when nothing else needs its pictures: a dashboard refreshing
// every few seconds then gets its pictures at once instead of waiting for a
// keyframe each time.
const snapshotKeepAlive = time.Minute

// snapshotRequest asks the decoder goroutine for the next picture as JPEG.
type snapshotRequest struct {
	width int
	reply chan snapshotReply // buffered: the decoder never waits on it
}

type snapshotReply struct {
	jpeg []byte
	err  error
}

// ErrNoPicture is returned by Snapshot when the camera gives no picture in
// time (it is down, or just started).
var ErrNoPicture = errors.New("no picture from the camera yet")

// Snapshot returns the camera's next decoded picture as JPEG, width pixels
// wide (0: the camera's width). A camera that decodes nothing otherwise (a
// passthrough main and no sub) starts decoding and keeps at it for a minute
// after the last snapshot.
func (c *Camera) Snapshot(ctx context.Context, width int) ([]byte, error) {
	if width < 0 || width > transcode.MaxDimension {
		return nil, fmt.Errorf("width %d: between 0 and %d", width, transcode.MaxDimension)
	}
	c.snapUntil.Store(time.Now().Add(snapshotKeepAlive).UnixNano())
	req := snapshotRequest{width: width, reply: make(chan snapshotReply, 1)}
	select {
	case c.snapshots <- req:
	case <-ctx.Done():
		return nil, ErrNoPicture
	case <-c.ctx.Done():
		return nil, errors.New("camera stopped")
	}
	select {
	case r := <-req.reply:
		return r.jpeg, r.err
	case <-ctx.Done():
		return nil, ErrNoPicture
	case <-c.ctx.Done():
		return nil, errors.New("camera stopped")
	}
}

// snapshotting tells whether snapshots keep decoding on.
func (c *Camera) snapshotting() bool { return time.Now().UnixNano() < c.snapUntil.Load() }

// serveSnapshots answers the pending snapshot requests with picture f. It
// runs on the decoder goroutine, which owns the JPEG encoder.
func (c *Camera) serveSnapshots(f *transcode.Frame, enc **transcode.JPEGEncoder) {
	for {
		var req snapshotRequest
		select {
		case req = <-c.snapshots:
		default:
			return
		}
		if *enc == nil {
			e, err := transcode.NewJPEGEncoder(80)
			if err != nil {
				req.reply <- snapshotReply{err: err}
				continue
			}
			*enc = e
		}
		b, err := (*enc).Encode(f, req.width)
		req.reply <- snapshotReply{jpeg: b, err: err}
	}
}
