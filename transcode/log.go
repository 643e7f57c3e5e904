package transcode

import (
	"strings"

	"github.com/asticode/go-astiav"
)

// LogLevel is the severity of a libav message.
type LogLevel int

// Severities, most severe first.
const (
	LogError LogLevel = iota
	LogWarning
	LogInfo
	LogDebug
)

// SetLogHandler sends libav's messages at level min or more severe to fn, and
// drops the others before they are formatted. A nil fn silences libav.
//
// libav's decoders report every damaged slice; a camera sending garbage can
// produce many messages a second, so the handler should rate-limit or count
// rather than print each one.
func SetLogHandler(min LogLevel, fn func(level LogLevel, msg string)) {
	if fn == nil {
		astiav.SetLogLevel(astiav.LogLevelQuiet)
		astiav.SetLogCallback(func(astiav.Classer, astiav.LogLevel, string, string) {})
		return
	}
	lv := map[LogLevel]astiav.LogLevel{
		LogError: astiav.LogLevelError, LogWarning: astiav.LogLevelWarning,
		LogInfo: astiav.LogLevelInfo, LogDebug: astiav.LogLevelDebug,
	}[min]
	astiav.SetLogLevel(lv)
	astiav.SetLogCallback(func(_ astiav.Classer, l astiav.LogLevel, _, msg string) {
		level := LogDebug
		switch {
		case l <= astiav.LogLevelError:
			level = LogError
		case l <= astiav.LogLevelWarning:
			level = LogWarning
		case l <= astiav.LogLevelInfo:
			level = LogInfo
		}
		if level <= min {
			fn(level, strings.TrimSpace(msg))
		}
	})
}
