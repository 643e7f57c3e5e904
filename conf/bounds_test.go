package conf

import (
	"strings"
	"testing"
)

// TestUnboundedValuesRefused: every size, count and duration of the file
// that goes into make(), a timer or a multiplication has a bound, and a
// value beyond it is refused with the setting's name. (Before: a huge
// queue_size was accepted and panicked in make(chan) at start.)
func TestUnboundedValuesRefused(t *testing.T) {
	for _, tc := range []struct{ settings, mention string }{
		{"queue_size: 100000000000000", "queue_size"},
		{"queue_size: 1001", "queue_size"},
		{"queue_size: -3", "queue_size"},
		{"stall_timeout: 2000000h", "stall_timeout"},
		{"connect_timeout: 25h", "connect_timeout"},
		{"read_timeout: 2h", "read_timeout"},
		{"sub: {bitrate: 1e30M}", "bitrate"},
		{"sub: {bitrate: NaN}", "bitrate"},
		{"sub: {bitrate: 2M, maxrate: 5000M}", "maxrate"},
		{"sub: {bufsize: 3000000000}", "bufsize"},
		{"sub: {gop: 100000000}", "gop"},
		{"sub: {gop: -1}", "gop"},
		{"sub: {fps: 100000000}", "fps"},
		{"sub: {size: 100000000x100000000}", "size"},
		{"main: {mode: transcode, gop: 5000}", "gop"},
	} {
		_, err := Parse([]byte("cameras:\n  a:\n    url: rtsp://h/a\n    " + tc.settings + "\n"))
		if err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: %v, want an error naming %s", tc.settings, err, tc.mention)
		}
	}
	for _, grid := range []string{"{cameras: [a], fps: 1000000}", "{cameras: [a], layout: 1000000x1000000}", "{cameras: [a], gop: 9999999}"} {
		if _, err := Parse([]byte("cameras:\n  a: {url: rtsp://h/a}\ngrids:\n  g: " + grid + "\n")); err == nil {
			t.Errorf("grid %s accepted", grid)
		}
	}
	// Within the bounds, values are kept.
	f, err := Parse([]byte("cameras:\n  a:\n    url: rtsp://h/a\n    queue_size: 1000\n    stall_timeout: 1h\n    sub: {bitrate: 1000M, gop: 1000}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c := f.Cameras[0]; c.QueueSize != 1000 || c.Sub.Encoder.Bitrate != 1_000_000_000 || c.Sub.Encoder.GOP != 1000 {
		t.Errorf("values at the bounds: %+v", c)
	}
}

// TestPathCollisionRefused: a camera named grid publishes grid/main and
// grid/sub, the paths of grids named main and sub: the file is refused with
// both names. (Before: accepted, and the gateway failed to start.)
func TestPathCollisionRefused(t *testing.T) {
	for _, text := range []string{
		"cameras:\n  grid: {url: rtsp://h/a}\n  b: {url: rtsp://h/b}\ngrids:\n  main: {cameras: [b]}\n",
		"cameras:\n  grid: {url: rtsp://h/a, enabled: false}\n  b: {url: rtsp://h/b}\ngrids:\n  sub: {cameras: [b]}\n",
	} {
		_, err := Parse([]byte(text))
		if err == nil || !strings.Contains(err.Error(), "camera grid") || !strings.Contains(err.Error(), "grid/") {
			t.Errorf("%s: %v, want an error naming the camera, the grid and the path", text, err)
		}
	}
	// A camera named grid is fine while no grid takes its paths.
	if _, err := Parse([]byte("cameras:\n  grid: {url: rtsp://h/a}\ngrids:\n  wall: {cameras: [grid]}\n")); err != nil {
		t.Errorf("camera grid with a grid named wall: %v", err)
	}
}

// TestAPIBodySavedInTheFilesStyle: a JSON body is written as YAML a person
// would write: no quoted keys, block style, and strings that would read as
// something else still quoted.
func TestAPIBodySavedInTheFilesStyle(t *testing.T) {
	doc, err := NewDocument("cameras:\n  a:\n    url: rtsp://h/a\n")
	if err != nil {
		t.Fatal(err)
	}
	f, err := doc.Edit(func(e *Editor) error {
		return e.Set("cameras", "b", []byte(`{"url": "rtsp://h/b", "sub": {"size": "320x180", "fps": 5}, "main": "passthrough", "backoff": {"min": "1s"}}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := doc.Bytes()
	text := string(b)
	if strings.Contains(text, `"url"`) || strings.Contains(text, "{") || !strings.Contains(text, "    sub:\n      size: 320x180\n") {
		t.Errorf("saved as:\n%s", text)
	}
	if len(f.Cameras) != 2 || f.Cameras[1].Sub.FPS != 5 || f.Cameras[1].Backoff.Min.String() != "1s" {
		t.Errorf("parsed back: %+v", f.Cameras)
	}
	// A string that reads as a boolean stays a string.
	if _, err := doc.Edit(func(e *Editor) error {
		return e.Set("cameras", "c", []byte(`{"url": "rtsp://h/c", "sub": "off"}`))
	}); err != nil {
		t.Fatal(err)
	}
	b, _ = doc.Bytes()
	if f, err := Parse(b); err != nil || f.Cameras[2].Sub.Enabled {
		t.Errorf("sub off did not survive: %v\n%s", err, b)
	}
}
