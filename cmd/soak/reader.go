package main

import (
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"
)

// reader plays one stream for the whole soak, as a viewer would: it counts
// complete pictures, checks that timestamps never go backwards within a
// session, and plays again whenever it is dropped or told to.
type reader struct {
	url string

	mu        sync.Mutex
	client    *gortsplib.Client
	frames    uint64
	last      time.Time // arrival of the last picture
	lastPTS   int64
	backwards int
	sessions  int
}

func (r *reader) stats() (frames uint64, last time.Time, backwards int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frames, r.last, r.backwards
}

// run keeps the reader playing until stop closes.
func (r *reader) run(stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		c, err := r.play()
		if err == nil {
			done := make(chan error, 1)
			go func() { done <- c.Wait() }()
			select {
			case <-stop:
				c.Close()
				<-done
				return
			case <-done:
				c.Close()
			}
		}
		select {
		case <-stop:
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// drop disconnects the reader; run plays again at once (a viewer that
// reconnects).
func (r *reader) drop() {
	r.mu.Lock()
	c := r.client
	r.mu.Unlock()
	if c != nil {
		go c.Close()
	}
}

func (r *reader) play() (*gortsplib.Client, error) {
	u, err := base.ParseURL(r.url)
	if err != nil {
		return nil, err
	}
	tcp := gortsplib.ProtocolTCP
	c := &gortsplib.Client{
		Scheme: u.Scheme, Host: u.Host, Protocol: &tcp, ReadTimeout: 5 * time.Second,
		// Garbage and camera switches lose packets on purpose: count nothing here.
		OnPacketsLost: func(uint64) {},
		OnDecodeError: func(error) {},
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	desc, _, err := c.Describe(u)
	if err != nil {
		c.Close()
		return nil, err
	}
	var h264 *format.H264
	medi := desc.FindFormat(&h264)
	if medi == nil {
		c.Close()
		return nil, errNoVideo
	}
	if err := c.SetupAll(desc.BaseURL, desc.Medias); err != nil {
		c.Close()
		return nil, err
	}
	dec, err := h264.CreateDecoder()
	if err != nil {
		c.Close()
		return nil, err
	}
	r.mu.Lock()
	r.client = c
	r.lastPTS = -1 << 62 // a new session: its timestamps start anywhere
	r.sessions++
	r.mu.Unlock()
	c.OnPacketRTP(medi, h264, func(pkt *rtp.Packet) {
		pts, ok := c.PacketPTS(medi, pkt)
		if _, err := dec.Decode(pkt); err != nil || !ok {
			return
		}
		now := time.Now()
		r.mu.Lock()
		r.frames++
		r.last = now
		// Equal timestamps happen (a camera sending garbage closes several
		// "pictures" in one frame); going back never may.
		if pts < r.lastPTS {
			r.backwards++
		}
		r.lastPTS = pts
		r.mu.Unlock()
	})
	if _, err := c.Play(nil); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

type soakError string

func (e soakError) Error() string { return string(e) }

const errNoVideo = soakError("no H.264 track")
