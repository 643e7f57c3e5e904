package webrtc

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// offeredCodec is one payload type a browser offered on an m-line.
type offeredCodec struct {
	pt       uint8
	name     string // as in a=rtpmap, upper case: H264, H265, OPUS, PCMU, PCMA
	clock    int
	channels int
	fmtp     string
}

func (c offeredCodec) param(key string) string {
	for _, kv := range strings.Split(c.fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// offer is what camgate needs to know of a viewer's SDP offer.
type offer struct {
	video, audio []offeredCodec // codecs of the first video and audio m-lines that can receive
	hasVideo     bool           // a video m-line that can receive (recvonly or sendrecv)
}

var errNoVideo = errors.New("the offer has no video m-line that can receive: an offer with video recvonly is needed")

// parseOffer reads an SDP offer. Its error is the 400's text.
func parseOffer(body []byte) (*offer, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(body)); err != nil {
		return nil, fmt.Errorf("invalid SDP offer: %w", err)
	}
	if len(sd.MediaDescriptions) == 0 {
		return nil, errors.New("invalid SDP offer: no media")
	}
	o := &offer{}
	haveAudio := false
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Port.Value == 0 {
			continue // rejected
		}
		canReceive := true
		for _, a := range m.Attributes {
			if a.Key == "sendonly" || a.Key == "inactive" {
				canReceive = false
			}
		}
		if !canReceive {
			continue
		}
		switch m.MediaName.Media {
		case "video":
			if !o.hasVideo {
				o.hasVideo, o.video = true, codecsOf(m)
			}
		case "audio":
			if !haveAudio {
				haveAudio, o.audio = true, codecsOf(m)
			}
		}
	}
	if !o.hasVideo {
		return nil, errNoVideo
	}
	return o, nil
}

func codecsOf(m *sdp.MediaDescription) []offeredCodec {
	byPT := map[uint8]*offeredCodec{}
	var order []uint8
	for _, f := range m.MediaName.Formats {
		pt, err := strconv.ParseUint(f, 10, 8)
		if err != nil {
			continue
		}
		c := &offeredCodec{pt: uint8(pt)}
		switch pt { // static payload types need no rtpmap
		case 0:
			c.name, c.clock = "PCMU", 8000
		case 8:
			c.name, c.clock = "PCMA", 8000
		}
		byPT[uint8(pt)] = c
		order = append(order, uint8(pt))
	}
	for _, a := range m.Attributes {
		ptStr, rest, ok := strings.Cut(a.Value, " ")
		if !ok {
			continue
		}
		pt, err := strconv.ParseUint(ptStr, 10, 8)
		if err != nil {
			continue
		}
		c := byPT[uint8(pt)]
		if c == nil {
			continue
		}
		switch a.Key {
		case "rtpmap":
			parts := strings.Split(strings.TrimSpace(rest), "/")
			c.name = strings.ToUpper(parts[0])
			if len(parts) > 1 {
				c.clock, _ = strconv.Atoi(parts[1])
			}
			if len(parts) > 2 {
				c.channels, _ = strconv.Atoi(parts[2])
			}
		case "fmtp":
			c.fmtp = strings.TrimSpace(rest)
		}
	}
	out := make([]offeredCodec, 0, len(order))
	for _, pt := range order {
		out = append(out, *byPT[pt])
	}
	return out
}

// chooseH264 picks the offered H.264 payload type to answer with, for a
// stream whose SPS is sps: packetization-mode=1 only (camgate fragments
// pictures into FU-A; mode 0 cannot carry them), the offered profile that is
// the stream's own (profile_idc and constraint flags) first, then the same
// profile_idc, then constrained baseline 42e0xx (every browser's decoder
// decodes High with it: what MediaMTX always answers), then any. The level is
// not compared: RFC 6184 lets it differ (level-asymmetry-allowed).
func chooseH264(codecs []offeredCodec, sps []byte) (offeredCodec, bool) {
	best, bestRank := offeredCodec{}, -1
	for _, c := range codecs {
		if c.name != "H264" || c.clock != 90000 || c.param("packetization-mode") != "1" {
			continue
		}
		rank := 0
		if plid, err := hex.DecodeString(c.param("profile-level-id")); err == nil && len(plid) == 3 {
			switch {
			case len(sps) >= 3 && plid[0] == sps[1] && plid[1] == sps[2]:
				rank = 3
			case len(sps) >= 3 && plid[0] == sps[1]:
				rank = 2
			case plid[0] == 0x42 && plid[1]&0x40 != 0:
				rank = 1
			}
		}
		if rank > bestRank {
			best, bestRank = c, rank
		}
	}
	return best, bestRank >= 0
}

// chooseH265 picks the offered H.265 payload type whose profile-id is the
// stream's (Main = 1 when the SPS cannot be read), or else the first.
func chooseH265(codecs []offeredCodec, profile int) (offeredCodec, bool) {
	var first *offeredCodec
	for i, c := range codecs {
		if c.name != "H265" || c.clock != 90000 {
			continue
		}
		if first == nil {
			first = &codecs[i]
		}
		p := c.param("profile-id")
		if p == "" {
			p = "1"
		}
		if p == strconv.Itoa(profile) {
			return c, true
		}
	}
	if first != nil {
		return *first, true
	}
	return offeredCodec{}, false
}

// chooseAudio picks the offered payload type for a stream's audio codec
// ("PCMU", "PCMA", "Opus"), if the viewer offered it.
func chooseAudio(codecs []offeredCodec, name string, clock int) (offeredCodec, bool) {
	for _, c := range codecs {
		if strings.EqualFold(c.name, name) && c.clock == clock {
			return c, true
		}
	}
	return offeredCodec{}, false
}
