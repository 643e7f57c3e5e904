package rtspclient

import (
	"fmt"
	"net/url"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
)

// Description is what a DESCRIBE says about a stream.
type Description struct {
	Medias []Media
}

// Media is one media of a Description, by its first format.
type Media struct {
	Type          string // "video", "audio", "application"
	Codec         Codec
	VPS, SPS, PPS []byte // the parameter sets of an H.264 or H.265 format, if the SDP has them
}

// Describe asks the server at url (credentials allowed) to describe its
// stream, and nothing else.
func Describe(rawURL string) (*Description, error) {
	u, err := base.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host}
	if err := c.Start(); err != nil {
		return nil, err
	}
	defer c.Close()
	desc, _, err := c.Describe(u)
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", redact(rawURL), err)
	}
	d := &Description{}
	for _, m := range desc.Medias {
		md := Media{Type: string(m.Type)}
		if len(m.Formats) > 0 {
			md.Codec = Codec(m.Formats[0].Codec())
			switch f := m.Formats[0].(type) {
			case *format.H264:
				md.SPS, md.PPS = f.SPS, f.PPS
			case *format.H265:
				md.VPS, md.SPS, md.PPS = f.VPS, f.SPS, f.PPS
			}
		}
		d.Medias = append(d.Medias, md)
	}
	return d, nil
}

// redact hides the password of a URL in messages. (rtsp.Redact does the
// same; this package cannot import rtsp, whose own tests use it.)
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparsable URL>"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
