package conf

import (
	"os"
	"testing"
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
	f.Fuzz(func(t *testing.T, data []byte) {
		f, err := Parse(data)
		if err == nil && f == nil {
			t.Fatal("no configuration and no error")
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
