package httplog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestLevelsAndEscaping(t *testing.T) {
	var buf bytes.Buffer
	l := New(zerolog.New(&buf).Level(zerolog.DebugLevel))
	l.Printf("http: TLS handshake error from 10.0.0.9:4431: EOF")
	l.Printf("http: Accept error: \x1b[31mboom\x00 %s", strings.Repeat("x", 500))

	var lines []map[string]any
	for _, raw := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("not a JSON log line: %q", raw)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2: %s", len(lines), buf.String())
	}
	if lines[0]["level"] != "debug" || lines[0]["message"] != "http: TLS handshake error from 10.0.0.9:4431: EOF" {
		t.Errorf("handshake line: %v", lines[0])
	}
	msg, _ := lines[1]["message"].(string)
	if lines[1]["level"] != "warn" || strings.ContainsAny(msg, "\x1b\x00") || !strings.Contains(msg, `\x1b[31mboom\x00`) || len(msg) > maxLine+40 {
		t.Errorf("accept error line (%d bytes): %v", len(msg), lines[1])
	}
}
