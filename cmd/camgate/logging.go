package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/camgate/camgate/transcode"
)

// newLogger makes the process's logger: human-readable on a terminal, JSON
// lines otherwise (journald, Docker, log shippers).
func newLogger(w io.Writer, level, format string) (zerolog.Logger, error) {
	lv := zerolog.InfoLevel
	if level != "" {
		l, err := zerolog.ParseLevel(strings.ToLower(level))
		if err != nil {
			return zerolog.Logger{}, fmt.Errorf("log level %q: one of debug, info, warn, error", level)
		}
		lv = l
	}
	console := false
	switch format {
	case "", "auto":
		if f, ok := w.(*os.File); ok {
			console = isatty.IsTerminal(f.Fd())
		}
	case "console", "text":
		console = true
	case "json":
	default:
		return zerolog.Logger{}, fmt.Errorf("log format %q: auto, console or json", format)
	}
	if console {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000"}
	}
	return zerolog.New(w).Level(lv).With().Timestamp().Logger(), nil
}

// routeLibavLogs sends libav's warnings and errors to the logger, at most one
// line per second: a camera sending garbage makes the decoder complain about
// every slice, and the counters in the API already say how many.
func routeLibavLogs(log zerolog.Logger) {
	var mu sync.Mutex
	var last time.Time
	var suppressed int
	l := log.With().Str("component", "libav").Logger()
	transcode.SetLogHandler(transcode.LogWarning, func(level transcode.LogLevel, msg string) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < time.Second {
			suppressed++
			return
		}
		last = time.Now()
		ev := l.Warn()
		if level == transcode.LogError {
			ev = l.Error()
		}
		if suppressed > 0 {
			ev = ev.Int("suppressed", suppressed)
			suppressed = 0
		}
		ev.Msg(msg)
	})
}
