package conf

import (
	"strings"
	"testing"
)

// TestSubURL: a camera's own low-resolution stream is read with the
// camera's credentials when it is on the same host and port, and only then.
func TestSubURL(t *testing.T) {
	c, err := Parse([]byte(`
cameras:
  door:
    url: rtsp://192.168.1.20/Streaming/Channels/101
    sub_url: rtsp://192.168.1.20:554/Streaming/Channels/102
    user: admin
    password: "s3cr:t"
  yard:
    url: rtsp://192.168.1.21/main
    sub_url: rtsp://192.168.1.99/sub
    user: admin
    password: pw
`))
	if err != nil {
		t.Fatal(err)
	}
	door, yard := c.Cameras[0], c.Cameras[1]
	if want := "rtsp://admin:s3cr%3At@192.168.1.20:554/Streaming/Channels/102"; door.SubURL != want {
		t.Errorf("door sub_url %q, want %q (the camera's credentials, same host and port)", door.SubURL, want)
	}
	if want := "rtsp://192.168.1.99/sub"; yard.SubURL != want {
		t.Errorf("yard sub_url %q, want %q (another host: not the camera's credentials)", yard.SubURL, want)
	}
}

func TestSubURLErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"cameras:\n  x:\n    url: rtsp://h/s\n    sub_url: http://h/sub\n", "sub_url"},
		{"cameras:\n  x:\n    url: rtsp://h/s\n    sub_url: rtsp://h/s\n", "sub_url: the same as url"},
		{"defaults:\n  sub_url: rtsp://h/sub\ncameras:\n  x:\n    url: rtsp://h/s\n", "defaults: sub_url"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one naming %q", tc.yaml, err, tc.want)
		}
	}
}
