package rtsp

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What a camera sends (its SDP, the reason phrase of an RTSP error, the
// names in its rtpmap lines) ends up in log lines and in the API's
// last_error. A hostile or broken camera can put anything there: terminal
// escape sequences, newlines that forge log lines, megabytes. Such text is
// escaped and capped before it leaves this package.
const (
	// MaxCameraText caps a field a camera chose, such as the medias summary.
	MaxCameraText = 200
	// maxErrorText caps an error's text: camgate's own context around what
	// the camera sent.
	maxErrorText = 300
)

// CameraText returns s with every byte that is not printable UTF-8 escaped
// (\xNN for bytes and ASCII controls, \uNNNN for other unprintable runes, \\
// for the backslash), cut to at most limit bytes followed by "…(N bytes)"
// when longer, N being the length of s.
func CameraText(s string, limit int) string {
	var b strings.Builder
	for i, r := range s {
		var piece string
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			piece = fmt.Sprintf(`\x%02x`, s[i])
		case r == '\\':
			piece = `\\`
		case r < utf8.RuneSelf && !unicode.IsPrint(r):
			piece = fmt.Sprintf(`\x%02x`, r)
		case !unicode.IsPrint(r):
			piece = fmt.Sprintf(`\u%04x`, r)
		default:
			piece = string(r)
		}
		if b.Len()+len(piece) > limit {
			fmt.Fprintf(&b, "…(%d bytes)", len(s))
			return b.String()
		}
		b.WriteString(piece)
	}
	return b.String()
}

// cameraError is an error whose text may quote the camera, made fit to log
// and show: passwords redacted, escaped, capped. It unwraps to the original,
// so that errors.Is still sees ErrStalled or a cancellation.
type cameraError struct {
	msg string
	err error
}

func (e *cameraError) Error() string { return e.msg }
func (e *cameraError) Unwrap() error { return e.err }

// safeError returns err with its text redacted, escaped and capped; nil for
// nil.
func safeError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	safe := CameraText(RedactText(msg), maxErrorText)
	if safe == msg {
		return err
	}
	return &cameraError{msg: safe, err: err}
}
