package main

import (
	"fmt"
	"time"

	"github.com/camgate/camgate/rtsp/rtspclient"
)

// readers play every output of one side, as viewers do: the sub stream of
// each camera and the grid, over RTSP/TCP, from the harness process. Each
// counts the pictures it receives, so that the frame rate each viewer gets is
// measured the same way on both sides.
type readers struct {
	sub  []*rtspclient.Player
	grid *rtspclient.Player
}

// startReaders plays rtsp://server/camI/sub for every camera and
// rtsp://server/grid/all. They keep trying until the paths are published,
// and play again if a session ends.
func startReaders(server string, n int) (*readers, error) {
	r := &readers{}
	play := func(path string) (*rtspclient.Player, error) {
		return rtspclient.PlayAlways(rtspclient.Config{URL: "rtsp://" + server + "/" + path, ReadTimeout: 5 * time.Second})
	}
	for i := 0; i < n; i++ {
		p, err := play(fmt.Sprintf("cam%d/sub", i+1))
		if err != nil {
			r.Close()
			return nil, err
		}
		r.sub = append(r.sub, p)
	}
	p, err := play("grid/all")
	if err != nil {
		r.Close()
		return nil, err
	}
	r.grid = p
	return r, nil
}

// counts are the pictures each reader received so far, at one instant.
type counts struct {
	At   time.Time `json:"at"`
	Sub  []int     `json:"sub"`
	Grid int       `json:"grid"`

	CameraDrops int64 `json:"camera_drops"` // packets the fake cameras dropped to their readers
	RelayDrops  int64 `json:"relay_drops"`  // packets the relay dropped to the harness's readers
}

func (r *readers) counts() counts {
	c := counts{At: time.Now()}
	for _, p := range r.sub {
		c.Sub = append(c.Sub, p.Stats().Pictures)
	}
	c.Grid = r.grid.Stats().Pictures
	c.CameraDrops, c.RelayDrops = cameraDrops.Load(), relayDrops.Load()
	return c
}

// Close stops every reader.
func (r *readers) Close() {
	for _, p := range r.sub {
		p.Close()
	}
	if r.grid != nil {
		r.grid.Close()
	}
}

// readerFPS is what the readers received between two counts.
type readerFPS struct {
	SubMin, SubMean, Grid float64
}

func fpsBetween(a, b counts) readerFPS {
	secs := b.At.Sub(a.At).Seconds()
	if secs <= 0 || len(a.Sub) != len(b.Sub) {
		return readerFPS{}
	}
	var f readerFPS
	for i := range a.Sub {
		v := float64(b.Sub[i]-a.Sub[i]) / secs
		if i == 0 || v < f.SubMin {
			f.SubMin = v
		}
		f.SubMean += v / float64(len(a.Sub))
	}
	f.Grid = float64(b.Grid-a.Grid) / secs
	return f
}
