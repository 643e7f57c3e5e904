package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// hlsCounters are what every HLS client adds to; read them with atomic loads.
type hlsCounters struct {
	Requests atomic.Uint64 // answered 200
	Errors   atomic.Uint64 // failed, or answered anything but 200
	Timeouts atomic.Uint64 // blocking reloads that did not answer within 3 part targets + 5 s
	Parts    atomic.Uint64 // parts fetched
	Bytes    atomic.Uint64 // bytes of parts and init segments
}

// mediaPlaylist is what an LL-HLS client needs of a media playlist.
type mediaPlaylist struct {
	init       string  // EXT-X-MAP URI
	partTarget float64 // seconds
	blocking   bool    // CAN-BLOCK-RELOAD=YES
	parts      []part  // every part listed, oldest first
	// next is the part to ask for with _HLS_msn and _HLS_part: the one
	// after the newest listed.
	nextMSN, nextPart uint64
}

type part struct {
	uri      string
	msn, idx uint64
}

// parseMedia reads an LL-HLS media playlist (RFC 8216bis).
func parseMedia(text string) (*mediaPlaylist, error) {
	p := &mediaPlaylist{}
	var msn, idx uint64
	var haveSeq bool
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "#EXT-X-MEDIA-SEQUENCE:"):
			msn, _ = strconv.ParseUint(strings.TrimPrefix(line, "#EXT-X-MEDIA-SEQUENCE:"), 10, 64)
			haveSeq = true
		case strings.HasPrefix(line, "#EXT-X-MAP:"):
			p.init = attr(line, "URI")
		case strings.HasPrefix(line, "#EXT-X-PART-INF:"):
			p.partTarget, _ = strconv.ParseFloat(attr(line, "PART-TARGET"), 64)
		case strings.HasPrefix(line, "#EXT-X-SERVER-CONTROL:"):
			p.blocking = attr(line, "CAN-BLOCK-RELOAD") == "YES"
		case strings.HasPrefix(line, "#EXT-X-PART:"):
			p.parts = append(p.parts, part{uri: attr(line, "URI"), msn: msn, idx: idx})
			idx++
		case strings.HasPrefix(line, "#"):
		default: // a segment's URI: it is complete
			msn++
			idx = 0
		}
	}
	if !haveSeq {
		return nil, errors.New("media playlist without EXT-X-MEDIA-SEQUENCE")
	}
	// A complete segment is followed by part 0 of the next; a part after the
	// last complete segment by the next part of the segment being made.
	p.nextMSN, p.nextPart = msn, idx
	return p, nil
}

// attr returns a tag's attribute, unquoted.
func attr(line, name string) string {
	_, list, _ := strings.Cut(line, ":")
	for list != "" {
		var kv string
		if i := indexUnquoted(list, ','); i >= 0 {
			kv, list = list[:i], list[i+1:]
		} else {
			kv, list = list, ""
		}
		k, v, _ := strings.Cut(kv, "=")
		if k == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

func indexUnquoted(s string, c byte) int {
	q := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			q = !q
		case s[i] == c && !q:
			return i
		}
	}
	return -1
}

// hlsClient plays one LL-HLS stream the way hls.js does at the live edge:
// the multivariant playlist, its first media playlist, the init segment,
// then in a loop a blocking reload for the next part (_HLS_msn/_HLS_part)
// and every part it has not fetched yet. Without blocking reload it polls
// every part target.
func hlsClient(ctx context.Context, hc *http.Client, index string, c *hlsCounters) {
	for ctx.Err() == nil {
		if err := playHLS(ctx, hc, index, c); err != nil && ctx.Err() == nil {
			c.Errors.Add(1)
			select { // a player retries its playlist after a failure
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
		}
	}
}

func playHLS(ctx context.Context, hc *http.Client, index string, c *hlsCounters) error {
	base, _ := url.Parse(index)
	mv, err := get(ctx, hc, index, 0, c)
	if err != nil {
		return err
	}
	var media *url.URL
	for _, line := range strings.Split(string(mv), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			media, err = base.Parse(line)
			break
		}
	}
	if media == nil || err != nil {
		return fmt.Errorf("multivariant playlist without a media playlist")
	}
	body, err := get(ctx, hc, media.String(), 0, c)
	if err != nil {
		return err
	}
	pl, err := parseMedia(string(body))
	if err != nil {
		return err
	}
	if pl.init != "" {
		u, _ := media.Parse(pl.init)
		b, err := get(ctx, hc, u.String(), 0, c)
		if err != nil {
			return err
		}
		c.Bytes.Add(uint64(len(b)))
	}
	// Start at the live edge: the newest part only.
	var got part
	if n := len(pl.parts); n > 0 {
		got = pl.parts[n-1]
		if err := fetchPart(ctx, hc, media, got, c); err != nil {
			return err
		}
	}
	for ctx.Err() == nil {
		target := time.Duration(pl.partTarget * float64(time.Second))
		if target <= 0 {
			target = 200 * time.Millisecond
		}
		u := *media
		if pl.blocking {
			q := u.Query()
			q.Set("_HLS_msn", strconv.FormatUint(pl.nextMSN, 10))
			q.Set("_HLS_part", strconv.FormatUint(pl.nextPart, 10))
			u.RawQuery = q.Encode()
		} else {
			select {
			case <-time.After(target):
			case <-ctx.Done():
				return nil
			}
		}
		body, err := get(ctx, hc, u.String(), 3*target+5*time.Second, c)
		if err != nil {
			return err
		}
		if pl, err = parseMedia(string(body)); err != nil {
			return err
		}
		for _, p := range pl.parts {
			if p.msn > got.msn || (p.msn == got.msn && p.idx > got.idx) || got.uri == "" {
				if err := fetchPart(ctx, hc, media, p, c); err != nil {
					return err
				}
				got = p
			}
		}
	}
	return nil
}

func fetchPart(ctx context.Context, hc *http.Client, media *url.URL, p part, c *hlsCounters) error {
	u, err := media.Parse(p.uri)
	if err != nil {
		return err
	}
	b, err := get(ctx, hc, u.String(), 0, c)
	if err != nil {
		return err
	}
	c.Parts.Add(1)
	c.Bytes.Add(uint64(len(b)))
	return nil
}

var errTimeout = errors.New("blocking reload timed out")

// get fetches a URL and counts the request; timeout 0 means 10 s.
func get(ctx context.Context, hc *http.Client, u string, timeout time.Duration, c *hlsCounters) ([]byte, error) {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	res, err := hc.Do(req)
	if err != nil {
		if ctx.Err() == nil && rctx.Err() != nil {
			c.Timeouts.Add(1)
			return nil, errTimeout
		}
		return nil, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, res.Status)
	}
	c.Requests.Add(1)
	return b, nil
}
