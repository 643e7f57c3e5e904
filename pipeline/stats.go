package pipeline

import (
	"time"
)

// CameraStats is a camera's state and counters, as the API shows them.
type CameraStats struct {
	Name        string    `json:"name"`
	URL         string    `json:"url"` // password redacted
	State       State     `json:"state"`
	Since       time.Time `json:"since"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	Reconnects  uint64    `json:"reconnects"`

	BytesIn      uint64  `json:"bytes_in"`
	Bitrate1s    float64 `json:"bitrate_in_1s"`  // bit/s from the camera, last second
	Bitrate10s   float64 `json:"bitrate_in_10s"` // bit/s from the camera, last 10 s
	FPSIn        float64 `json:"fps_in"`         // access units per second, last 10 s
	FramesIn     uint64  `json:"frames_in"`
	LastFrameMs  int64   `json:"last_frame_ms"` // age of the last access unit, -1 if none
	PacketsLost  uint64  `json:"packets_lost"`
	Decoded      uint64  `json:"frames_decoded"`
	DecodeErrors uint64  `json:"decode_errors"`
	QueueDrops   uint64  `json:"queue_drops"` // access units dropped because decoding fell behind
	KeyWaits     uint64  `json:"keyframe_waits"`

	Main    *OutputStats  `json:"main,omitempty"` // passthrough main: readers and bytes only
	Outputs []OutputStats `json:"outputs"`

	// SubStream is the camera's own low-resolution stream (sub_url), if it
	// has one; Sources says which stream feeds what (sources.go).
	SubStream *FeedStats `json:"sub_stream,omitempty"`
	Sources   Sources    `json:"sources"`
}

// FeedStats is the state and counters of a camera's own low-resolution
// stream, as the API shows them.
type FeedStats struct {
	URL          string    `json:"url"` // password redacted
	State        State     `json:"state"`
	Since        time.Time `json:"since"`
	LastError    string    `json:"last_error,omitempty"`
	LastErrorAt  time.Time `json:"last_error_at,omitzero"`
	Reconnects   uint64    `json:"reconnects"`
	Codec        string    `json:"codec,omitempty"`
	Width        int       `json:"width"`
	Height       int       `json:"height"`
	FPS          float64   `json:"fps"` // as the stream's timestamps say
	BytesIn      uint64    `json:"bytes_in"`
	Bitrate10s   float64   `json:"bitrate_in_10s"`
	FramesIn     uint64    `json:"frames_in"`
	Decoded      uint64    `json:"frames_decoded"`
	DecodeErrors uint64    `json:"decode_errors"`
	QueueDrops   uint64    `json:"queue_drops"`
}

// Stats returns a snapshot of the camera's state and counters.
func (c *Camera) Stats() CameraStats {
	s := c.src.Stats()
	b1, b10 := c.inBytes.rates()
	_, fps := c.inFrames.rates()
	age := int64(-1)
	if s.LastVideoUnix != 0 {
		age = time.Since(time.Unix(0, s.LastVideoUnix)).Milliseconds()
	}
	c.mu.Lock()
	st := CameraStats{
		Name: c.cfg.Name, URL: c.src.URL(), State: c.state, Since: c.since,
		LastError: c.lastErr, LastErrorAt: c.lastErrAt, Reconnects: c.reconnects,
		BytesIn: s.BytesIn, Bitrate1s: b1 * 8, Bitrate10s: b10 * 8, FPSIn: fps,
		FramesIn: s.AccessUnits, LastFrameMs: age, PacketsLost: s.PacketsLost,
		Decoded: c.decodedPics.Load(), DecodeErrors: c.decodeErrors.Load() + s.DecodeErrors,
		QueueDrops: c.queueDrops.Load(), KeyWaits: c.keyWaits.Load(),
	}
	if c.main != nil {
		ms := c.main.Stats()
		st.Main = &OutputStats{
			Name: "main", Path: ms.Path, Readers: ms.Readers, Frames: ms.FramesOut,
			BytesOut: ms.BytesOut, Drops: ms.Drops, LastFrameMs: age,
		}
	}
	for _, o := range c.outs {
		st.Outputs = append(st.Outputs, o.stats())
	}
	if l := c.low; l != nil {
		ls := l.src.Stats()
		_, lb10 := l.inBytes.rates()
		w, h := l.pictureSize()
		st.SubStream = &FeedStats{
			URL: l.src.URL(), State: l.state, Since: l.since, LastError: l.lastErr, LastErrorAt: l.lastErrAt,
			Reconnects: l.reconnects, Width: w, Height: h, FPS: l.fps(),
			BytesIn: ls.BytesIn, Bitrate10s: lb10 * 8, FramesIn: ls.AccessUnits,
			Decoded: l.decodedPics.Load(), DecodeErrors: l.decodeErrors.Load() + ls.DecodeErrors, QueueDrops: l.queueDrops.Load(),
		}
		if l.live != nil {
			st.SubStream.Codec = l.live.codec.String()
		}
	}
	c.mu.Unlock()
	st.Sources = c.sources()
	return st
}
