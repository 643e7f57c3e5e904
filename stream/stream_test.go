package stream

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/camgate/camgate/codec"
)

// H.264 NAL units: SPS, PPS, an IDR slice and a non-IDR slice (headers only;
// the hub never parses further than the NAL type).
var (
	sps = []byte{0x67, 0x42, 0xc0, 0x1e}
	pps = []byte{0x68, 0xce, 0x3c, 0x80}
	idr = []byte{0x65, 0x88, 0x84}
	non = []byte{0x41, 0x9a, 0x02}
)

func video(key bool, pts time.Duration) Unit {
	if key {
		return Unit{Kind: Video, Keyframe: true, PTS: pts, Data: [][]byte{sps, pps, idr}}
	}
	return Unit{Kind: Video, PTS: pts, Data: [][]byte{non}}
}

func publishH264(t *testing.T, h *Hub, path string, onJoin func()) *Stream {
	t.Helper()
	d := H264Description(codec.FromList(codec.H264, [][]byte{sps, pps}), 640, 360)
	s, err := h.Publish(path, PublishOptions{Description: &d, OnJoin: onJoin})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readNow returns what the reader has queued, without waiting.
func readNow(t *testing.T, r *Reader) []Unit {
	t.Helper()
	var out []Unit
	for len(r.queue) > 0 {
		u, err := r.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

func TestReaderStartsAtKeyframe(t *testing.T) {
	h := NewHub()
	defer h.Close()
	s := publishH264(t, h, "cam/sub", nil)
	r, err := s.AddReader()
	if err != nil {
		t.Fatal(err)
	}
	s.Write(Unit{Kind: Audio, Track: 1, Data: [][]byte{{1, 2}}})
	s.Write(video(false, 1))
	s.Write(video(false, 2))
	s.Write(video(true, 3))
	s.Write(Unit{Kind: Audio, Track: 1, PTS: 3, Data: [][]byte{{3, 4}}})
	s.Write(video(false, 4))
	got := readNow(t, r)
	if len(got) != 3 || !got[0].Keyframe || got[0].PTS != 3 || got[1].Kind != Audio || got[2].PTS != 4 {
		t.Fatalf("reader got %+v, want the keyframe at 3, the audio after it, the picture at 4", got)
	}
	st := s.Stats()
	if st.Drops != 0 || st.FramesOut != 2 || st.Readers != 1 || st.Joins != 1 {
		t.Fatalf("stats %+v: want 0 drops (waiting for the first keyframe is no loss), 2 frames, 1 reader, 1 join", st)
	}
	if want := uint64(len(sps) + len(pps) + len(idr) + 2 + len(non)); st.BytesOut != want {
		t.Fatalf("bytes out %d, want %d", st.BytesOut, want)
	}
}

// A reader that does not read loses units up to the next keyframe; the
// writer never waits for it, and another reader gets everything.
func TestSlowReaderDropsToNextKeyframe(t *testing.T) {
	h := NewHub()
	defer h.Close()
	s := publishH264(t, h, "cam/sub", nil)
	slow, _ := s.AddReader()
	fast, _ := s.AddReader()
	var fastGot int
	pts := time.Duration(0)
	write := func(u Unit) {
		s.Write(u)
		fastGot += len(readNow(t, fast))
	}
	write(video(true, pts))
	for i := 1; i < ReaderQueue+10; i++ { // more than the queue holds
		pts++
		write(video(false, pts))
	}
	if fastGot != ReaderQueue+10 {
		t.Fatalf("fast reader got %d units, want all %d", fastGot, ReaderQueue+10)
	}
	// The slow reader's queue is full: it holds the first ReaderQueue units
	// and lost the other 10; then it gets nothing until the next keyframe.
	got := readNow(t, slow)
	write(video(false, pts+1))
	write(video(true, pts+2))
	write(video(false, pts+3))
	got = append(got, readNow(t, slow)...)
	if len(got) != ReaderQueue+2 {
		t.Fatalf("slow reader got %d units, want %d", len(got), ReaderQueue+2)
	}
	for i := 1; i < ReaderQueue; i++ {
		if got[i].PTS != got[i-1].PTS+1 {
			t.Fatalf("slow reader's unit %d has PTS %v after %v: units before the loss must be whole", i, got[i].PTS, got[i-1].PTS)
		}
	}
	if k := got[ReaderQueue]; !k.Keyframe || k.PTS != pts+2 {
		t.Fatalf("after the loss the slow reader got %+v, want the keyframe at %v", k, pts+2)
	}
	if d := s.Stats().Drops; d != 11 {
		t.Fatalf("drops = %d, want 11 (10 that did not fit, 1 skipped to the keyframe)", d)
	}
}

// A protocol whose own send queue overflowed calls Resync: nothing more
// until the next keyframe.
func TestResyncWaitsForKeyframe(t *testing.T) {
	h := NewHub()
	defer h.Close()
	s := publishH264(t, h, "p", nil)
	r, _ := s.AddReader()
	s.Write(video(true, 0))
	readNow(t, r)
	r.Resync()
	s.Write(video(false, 1))
	s.Write(video(false, 2))
	s.Write(video(true, 3))
	got := readNow(t, r)
	if len(got) != 1 || got[0].PTS != 3 {
		t.Fatalf("after Resync got %+v, want only the keyframe at 3", got)
	}
	if d := s.Stats().Drops; d != 2 {
		t.Fatalf("drops = %d, want 2", d)
	}
}

func TestJoinEventAndHasReaders(t *testing.T) {
	h := NewHub()
	defer h.Close()
	joins := 0
	s := publishH264(t, h, "grid/all", func() { joins++ })
	if s.HasReaders() {
		t.Fatal("HasReaders with none")
	}
	r1, _ := s.AddReader()
	r2, _ := s.AddReader()
	if joins != 2 || !s.HasReaders() {
		t.Fatalf("joins %d, HasReaders %v after two readers", joins, s.HasReaders())
	}
	r1.Close()
	r1.Close()
	if !s.HasReaders() || s.Stats().Readers != 1 {
		t.Fatal("one reader left, HasReaders must say so")
	}
	r2.Close()
	if s.HasReaders() {
		t.Fatal("HasReaders after every reader left")
	}
	if _, err := r2.Read(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read after Close: %v, want ErrClosed", err)
	}
}

func TestNotReadyUntilDescribed(t *testing.T) {
	h := NewHub()
	defer h.Close()
	s, err := h.Publish("/cam/main/", PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h.Stream("cam/main") != s {
		t.Fatal("path not trimmed of slashes")
	}
	if _, err := s.AddReader(); !errors.Is(err, ErrNotReady) {
		t.Fatalf("AddReader before a description: %v, want ErrNotReady", err)
	}
	if _, err := h.Publish("cam/main", PublishOptions{}); err == nil {
		t.Fatal("a path published twice")
	}
	d := Description{Key: "a", Video: VideoFormat{Codec: codec.H265}}
	if s.SetDescription(d) {
		t.Fatal("the first description ended readers")
	}
	if _, err := s.AddReader(); err != nil {
		t.Fatal(err)
	}
}

// A camera that reconnects with the same format keeps its readers; one that
// comes back with another format ends them, so they set up new decoders.
func TestDescriptionChange(t *testing.T) {
	h := NewHub()
	defer h.Close()
	s, _ := h.Publish("cam/main", PublishOptions{})
	s.SetDescription(Description{Key: "h264 a"})
	r, _ := s.AddReader()
	if s.SetDescription(Description{Key: "h264 a"}) {
		t.Fatal("same key: readers must be kept")
	}
	select {
	case <-r.Done():
		t.Fatal("reader ended by a description with the same key")
	default:
	}
	if !s.SetDescription(Description{Key: "h265 b"}) {
		t.Fatal("another key: readers must end")
	}
	if _, err := r.Read(context.Background()); !errors.Is(err, ErrDescriptionChanged) {
		t.Fatalf("Read: %v, want ErrDescriptionChanged", err)
	}
}

// Parameter sets sent in band replace the description's, so a reader who
// joins later is told the current ones; the caller's buffers are copied.
func TestParameterSetsInBand(t *testing.T) {
	h := NewHub()
	defer h.Close()
	s := publishH264(t, h, "cam/sub", nil)
	_, v1, _ := s.Description()
	sps2 := []byte{0x67, 0x64, 0x00, 0x28}
	au := codec.AccessUnit{NALUs: [][]byte{sps2, pps, idr}, Keyframe: true}
	s.WriteAccessUnit(&au)
	d, v2, _ := s.Description()
	if v2 <= v1 || string(d.Video.ParameterSets.SPS) != string(sps2) || string(d.Video.ParameterSets.PPS) != string(pps) {
		t.Fatalf("description after in-band SPS: version %d→%d, %+v", v1, v2, d.Video.ParameterSets)
	}
	sps2[1] = 0 // the caller reuses its buffer
	if d, _, _ := s.Description(); d.Video.ParameterSets.SPS[1] != 0x64 {
		t.Fatal("the description kept the caller's memory")
	}
	s.WriteAccessUnit(&au)
	if _, v3, _ := s.Description(); v3 != v2+1 {
		t.Fatalf("version %d after a changed SPS, want %d", v3, v2+1)
	}
	s.WriteAccessUnit(&au)
	if _, v4, _ := s.Description(); v4 != v2+1 {
		t.Fatal("the same parameter sets again changed the description")
	}
}

// WriteAccessUnit copies: what a reader gets does not change when the
// encoder reuses its buffers.
func TestWriteAccessUnitCopies(t *testing.T) {
	h := NewHub()
	defer h.Close()
	s := publishH264(t, h, "cam/sub", nil)
	r, _ := s.AddReader()
	buf := []byte{0x65, 1, 2, 3}
	s.WriteAccessUnit(&codec.AccessUnit{NALUs: [][]byte{buf}, Keyframe: true, PTS: 7})
	buf[1] = 9
	got := readNow(t, r)
	if len(got) != 1 || got[0].Data[0][1] != 1 || got[0].PTS != 7 {
		t.Fatalf("reader got %+v", got)
	}
}

func TestCloseEndsReaders(t *testing.T) {
	h := NewHub()
	s := publishH264(t, h, "a", nil)
	r, _ := s.AddReader()
	h.Close()
	select {
	case <-r.Done():
	case <-time.After(time.Minute):
		t.Fatal("reader not ended by Hub.Close")
	}
	if h.Stream("a") != nil {
		t.Fatal("stream still published after Close")
	}
	if _, err := h.Publish("b", PublishOptions{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Publish after Close: %v", err)
	}
	if _, err := s.AddReader(); !errors.Is(err, ErrClosed) {
		t.Fatalf("AddReader after Close: %v", err)
	}
}

// The writer's path allocates nothing per unit when nobody reads, and
// nothing but the queue slot when someone does.
func TestWriteAllocations(t *testing.T) {
	h := NewHub()
	defer h.Close()
	s := publishH264(t, h, "a", nil)
	u := video(false, 0)
	if n := testing.AllocsPerRun(100, func() { s.Write(u) }); n != 0 {
		t.Fatalf("Write without readers: %v allocations", n)
	}
	r, _ := s.AddReader()
	s.Write(video(true, 0))
	ctx := context.Background()
	if n := testing.AllocsPerRun(100, func() {
		s.Write(u)
		if _, err := r.Read(ctx); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Write and Read: %v allocations", n)
	}
}
