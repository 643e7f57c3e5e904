package main

import (
	"time"

	"github.com/camgate/camgate/rtsp/rtspclient"
)

// reader plays one stream for the whole soak, as a viewer would
// (rtspclient.PlayAlways): it counts complete pictures, checks that
// timestamps never go backwards within a session, and plays again whenever
// it is dropped.
type reader struct{ *rtspclient.Player }

func startReader(url string) (reader, error) {
	p, err := rtspclient.PlayAlways(rtspclient.Config{URL: url, ReadTimeout: 5 * time.Second})
	return reader{p}, err
}

// stats returns the pictures received, the arrival of the last one, and the
// pictures timed before the previous one of their session. Equal timestamps
// happen (a camera sending garbage closes several "pictures" in one frame);
// going back never may.
func (r reader) stats() (frames uint64, last time.Time, backwards int) {
	st := r.Stats()
	return uint64(st.Pictures), st.Last, st.Backwards
}
