package rtsptest

import (
	"sync"
	"testing"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"
)

// Reader plays every media of a stream over TCP and counts the RTP packets
// it gets: the smallest client a test needs to tell that a stream flows.
type Reader struct {
	c  *gortsplib.Client
	mu sync.Mutex
	n  int
}

// Play starts a Reader on url. It fails the test if the stream cannot be
// played, and is closed when the test ends.
func Play(t testing.TB, url string) *Reader {
	t.Helper()
	u, err := base.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	tcp := gortsplib.ProtocolTCP
	r := &Reader{c: &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp}}
	if err := r.c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.c.Close)
	desc, _, err := r.c.Describe(u)
	if err != nil {
		t.Fatalf("play %s: DESCRIBE: %v", url, err)
	}
	if err := r.c.SetupAll(desc.BaseURL, desc.Medias); err != nil {
		t.Fatalf("play %s: SETUP: %v", url, err)
	}
	r.c.OnPacketRTPAny(func(*description.Media, format.Format, *rtp.Packet) {
		r.mu.Lock()
		r.n++
		r.mu.Unlock()
	})
	if _, err := r.c.Play(nil); err != nil {
		t.Fatalf("play %s: PLAY: %v", url, err)
	}
	return r
}

// Packets returns the number of RTP packets received so far.
func (r *Reader) Packets() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}
