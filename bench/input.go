package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/rtsp"
	"github.com/camgate/camgate/stream"
)

// Input is the video every setting of a benchmark is measured on: access units
// in memory, so that every setting sees the same frames and no setting pays
// for reading them.
type Input struct {
	Name string     // file name or redacted URL
	AUs  [][][]byte // access units, NAL units without start codes
	HEVC bool
	FPS  int // frames per second of the input
}

// size is the input's bytes of NAL units.
func (in *Input) size() int {
	n := 0
	for _, au := range in.AUs {
		for _, nalu := range au {
			n += len(nalu)
		}
	}
	return n
}

// Duration is the media time the input covers.
func (in *Input) Duration() time.Duration {
	return time.Duration(len(in.AUs)) * time.Second / time.Duration(in.FPS)
}

// LoadInput reads a raw Annex-B H.264 (.h264) or H.265 (.hevc, .h265) file,
// repeated loops times (a longer input steadies the measurement; the clips of
// testdata/ are 4 s). fps is the file's frame rate: raw streams do not carry it
// reliably.
func LoadInput(path string, loops, fps int) (*Input, error) {
	aus, hevc, err := LoadClip(path)
	if err != nil {
		return nil, err
	}
	if fps <= 0 {
		return nil, fmt.Errorf("%s: frame rate %d", path, fps)
	}
	in := &Input{Name: path, HEVC: hevc, FPS: fps}
	for l := 0; l < max(1, loops); l++ {
		in.AUs = append(in.AUs, aus...)
	}
	return in, nil
}

// RecordRTSP records d of a camera's video, from its first keyframe, so that
// every setting is then measured on the same frames. The frame rate is taken
// from the timestamps.
func RecordRTSP(ctx context.Context, url string, d time.Duration) (*Input, error) {
	src, err := rtsp.NewSource(rtsp.SourceConfig{URL: url})
	if err != nil {
		return nil, err
	}
	rec := &recorder{want: d, done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(ctx, d+15*time.Second)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- src.Run(ctx, rec) }()
	select {
	case <-rec.done:
		cancel()
		<-runErr
	case err := <-runErr:
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no %v of video within %v", d, d+15*time.Second)
		}
		return nil, fmt.Errorf("record %s: %w", src.URL(), err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := len(rec.aus)
	span := rec.last - rec.first
	if n < 2 || span <= 0 {
		return nil, fmt.Errorf("record %s: %d pictures", src.URL(), n)
	}
	fps := int(float64(n-1)/span.Seconds() + 0.5)
	return &Input{Name: src.URL(), AUs: rec.aus, HEVC: rec.hevc, FPS: max(1, fps)}, nil
}

// recorder keeps the access units of one session from its first keyframe,
// with the SDP's parameter sets in front of the first one, so that the
// recording decodes on its own.
type recorder struct {
	want time.Duration
	done chan struct{}

	mu          sync.Mutex
	paramSets   [][]byte
	hevc        bool
	aus         [][][]byte
	first, last time.Duration
	finished    bool
}

func (r *recorder) OnSession(info rtsp.SessionInfo) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return nil
	}
	// A new session (the camera reconnected) starts the recording again.
	r.paramSets, r.hevc, r.aus = info.ParameterSets.List(), info.Codec == codec.H265, nil
	return nil
}

func (r *recorder) OnUnit(au stream.Unit) {
	if au.Kind != stream.Video {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished || (len(r.aus) == 0 && !au.Keyframe) {
		return
	}
	nalus := au.Data
	if len(r.aus) == 0 {
		r.first = au.PTS
		// In-band parameter sets, if any, follow and win.
		nalus = append(append([][]byte{}, r.paramSets...), nalus...)
	}
	r.aus = append(r.aus, nalus)
	r.last = au.PTS
	if r.last-r.first >= r.want {
		r.finished = true
		close(r.done)
	}
}

// writeAnnexB writes the input as one raw Annex-B file, for the ffmpeg program.
func (in *Input) writeAnnexB(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	start := []byte{0, 0, 0, 1}
	for _, au := range in.AUs {
		for _, n := range au {
			if _, err := f.Write(start); err != nil {
				f.Close()
				return err
			}
			if _, err := f.Write(n); err != nil {
				f.Close()
				return err
			}
		}
	}
	return f.Close()
}
