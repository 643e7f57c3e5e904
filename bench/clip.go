package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/camgate/camgate/codec"
)

// TestdataDir is the repository's testdata folder, found from this source file
// so that benchmarks and tools work from any working directory.
func TestdataDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// LoadClip reads a clip of testdata (or any path) and splits it into access units.
func LoadClip(name string) (aus [][][]byte, hevc bool, err error) {
	path := name
	if !strings.ContainsRune(name, '/') {
		path = filepath.Join(TestdataDir(), name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	hevc = strings.HasSuffix(path, ".hevc") || strings.HasSuffix(path, ".h265")
	c := codec.H264
	if hevc {
		c = codec.H265
	}
	aus = codec.AnnexBAccessUnits(b, c)
	if len(aus) == 0 {
		return nil, false, fmt.Errorf("%s: no access units (not an Annex-B H.264/H.265 stream?)", path)
	}
	return aus, hevc, nil
}
