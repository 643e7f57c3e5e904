package conf

import (
	"math"
	"os"
	"testing"
	"time"

	"github.com/camgate/camgate/pipeline"
)

// FuzzParseConfig: no configuration file, however broken, crashes the parser.
// The seeds are the example configuration and fragments of it.
func FuzzParseConfig(f *testing.F) {
	example, err := os.ReadFile("../camgate.example.yml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte("cameras:\n  a: {url: rtsp://h/a, sub: off}\ngrids:\n  g: {cameras: [a], layout: 2x2, fit: crop}\n"))
	f.Add([]byte("cameras:\n  a:\n    url: rtsp://u:p@h/a\n    main: {mode: transcode, size: 640x360}\n"))
	f.Add([]byte("rtsp: [1, 2]\ncameras: 7\n"))
	// Values that pass the parser's types but must not reach a start.
	f.Add([]byte("cameras:\n  a: {url: rtsp://h/a, queue_size: 100000000000000}\n"))
	f.Add([]byte("cameras:\n  a: {url: rtsp://h/a, queue_size: -1, stall_timeout: 2000000h}\n"))
	f.Add([]byte("cameras:\n  a: {url: rtsp://h/a, sub: {bitrate: 1e30M, gop: 100000000}}\n"))
	f.Add([]byte("cameras:\n  grid: {url: rtsp://h/a}\n  b: {url: rtsp://h/b}\ngrids:\n  main: {cameras: [b]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		f, err := Parse(data)
		if err == nil && f == nil {
			t.Fatal("no configuration and no error")
		}
		if err == nil {
			startable(t, f)
		}
	})
}

// FuzzAPIBody: the JSON body of a POST or PUT, applied to a configuration
// document, is accepted or refused with an error, never a crash; an accepted
// one always gives a valid configuration.
func FuzzAPIBody(f *testing.F) {
	f.Add([]byte(`{"url": "rtsp://10.0.0.5/s1", "sub": {"size": "320x180", "fps": 5}}`))
	f.Add([]byte(`{"url": "rtsp://u:p@h/x", "main": {"mode": "transcode", "bitrate": "2M"}, "sub": "off"}`))
	f.Add([]byte(`{"cameras": ["a"], "layout": "3x3"}`))
	f.Add([]byte(`[1, 2, 3]`))
	f.Add([]byte(`{"url": null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, section := range []string{"cameras", "grids"} {
			doc, err := NewDocument("cameras:\n  a: {url: rtsp://h/a}\n")
			if err != nil {
				t.Fatal(err)
			}
			file, err := doc.Edit(func(e *Editor) error { return e.Set(section, "x", body) })
			if err != nil {
				continue
			}
			if err := file.Config.Validate(); err != nil {
				t.Fatalf("accepted a body that makes an invalid configuration: %v", err)
			}
		}
	})
}

// startable does with an accepted configuration what starting it does with
// its numbers, short of starting it: what panics or overflows here would
// crash camgate at start, with a configuration it accepted.
func startable(t *testing.T, f *Conf) {
	if err := f.Config.Validate(); err != nil {
		t.Fatalf("accepted, but the gateway would refuse it: %v", err)
	}
	for _, c := range f.Cameras {
		c = c.WithDefaults()
		_ = make(chan [48]byte, c.QueueSize) // a camera's decoder queue
		for _, o := range []pipeline.OutputConfig{c.Sub, c.Main.Output} {
			if !o.Enabled {
				continue
			}
			e := o.Encoder.WithDefaults()
			if e.BufSize > math.MaxInt32 || e.MaxRate > math.MaxInt32 || e.GOP > math.MaxInt32 {
				t.Fatalf("camera %s: rate control beyond libav's 32-bit ints: %+v", c.Name, e)
			}
			_ = time.Second / time.Duration(o.FPS)
		}
	}
	for _, g := range f.Grids {
		g = g.WithDefaults()
		_ = time.Second / time.Duration(g.Output.FPS) // the compositor's tick
		_ = make([]struct{}, g.Cols*g.Rows)
	}
}
