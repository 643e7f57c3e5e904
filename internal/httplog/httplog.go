// Package httplog routes net/http's own error lines (a failed TLS
// handshake, an accept error) into a zerolog logger, so that they do not
// reach stderr as raw lines in the middle of JSON logs.
package httplog

import (
	"log"
	"strconv"
	"strings"

	"github.com/rs/zerolog"
)

// maxLine caps a line: it may quote what a client sent.
const maxLine = 300

// New returns a logger for http.Server.ErrorLog. Failed TLS handshakes come
// from port scanners and from browsers that refuse a self-signed
// certificate, many a day on a public address: they are debug lines. The
// rest are warnings. A client's text in them is escaped and capped.
func New(l zerolog.Logger) *log.Logger {
	return log.New(writer{l}, "", 0)
}

type writer struct{ l zerolog.Logger }

func (w writer) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	ev := w.l.Warn()
	if strings.HasPrefix(line, "http: TLS handshake error") {
		ev = w.l.Debug()
	}
	if len(line) > maxLine {
		line = line[:maxLine] + "…"
	}
	q := strconv.QuoteToASCII(line) // a client's bytes, escaped
	ev.Msg(q[1 : len(q)-1])
	return len(p), nil
}
