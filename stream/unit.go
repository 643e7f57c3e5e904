package stream

import "time"

// Kind is what a track or a unit carries.
type Kind int

// Kinds.
const (
	Video Kind = iota
	Audio
	Data // anything else a camera sends (ONVIF metadata, …), relayed as it is
)

// Unit is what a stream carries: one video access unit, or one audio or data
// frame, of one track of the stream's description.
//
// The slices of a written unit belong to the hub from then on and are never
// changed: readers of every protocol read them concurrently.
type Unit struct {
	Track    int           // index in Description.Tracks
	Kind     Kind          //
	PTS      time.Duration // presentation time, continuous across the writer's reconnects
	Keyframe bool          // video: a decoder can start at this access unit
	Data     [][]byte      // video: NAL units without start codes; audio, data: the frame

	// Native is the unit as the protocol that brought it carried it (RTSP:
	// its RTP packets, []*rtp.Packet), or nil. A reader of that protocol
	// forwards it as it is instead of packetizing Data again; it must not
	// modify it. Readers of other protocols ignore it.
	Native any
}

// size is the unit's payload in bytes, as the counters count it.
func (u *Unit) size() uint64 {
	n := 0
	for _, b := range u.Data {
		n += len(b)
	}
	return uint64(n)
}

// cloneData copies data into one new buffer, for writers whose buffers are
// reused after the write (an encoder's output).
func cloneData(data [][]byte) [][]byte {
	n := 0
	for _, b := range data {
		n += len(b)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(data))
	for i, b := range data {
		buf = append(buf, b...)
		out[i] = buf[len(buf)-len(b) : len(buf) : len(buf)]
	}
	return out
}
