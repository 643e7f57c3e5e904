package conf

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/camgate/camgate/pipeline"
)

// ParseSize reads "640x360".
func ParseSize(s string) (w, h int, err error) {
	a, b, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "x")
	if ok {
		w, err = strconv.Atoi(a)
		if err == nil {
			h, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("%q: expected WIDTHxHEIGHT, such as 640x360", s)
	}
	return w, h, nil
}

// ParseBitrate reads "512k", "2M", "2.5M" or a number of bit/s.
func ParseBitrate(s string) (int, error) {
	t := strings.TrimSpace(s)
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "k"), strings.HasSuffix(t, "K"):
		mult, t = 1e3, t[:len(t)-1]
	case strings.HasSuffix(t, "M"), strings.HasSuffix(t, "m"):
		mult, t = 1e6, t[:len(t)-1]
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v > 0) {
		return 0, fmt.Errorf("%q: expected a bitrate such as 512k or 2M", s)
	}
	if v*mult > pipeline.MaxBitrate {
		return 0, fmt.Errorf("%q: at most 1000M", s)
	}
	return int(v * mult), nil
}

// parseDuration reads "500ms", "5s", "1m"; "" is 0, for the default.
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: a duration such as 500ms, 5s or 1m", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q: must not be negative", s)
	}
	return d, nil
}
