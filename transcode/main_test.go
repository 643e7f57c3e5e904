package transcode

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// Damaged input is tested on purpose; libav's complaints about it are noise.
	SetLogHandler(LogError, nil)
	os.Exit(m.Run())
}
