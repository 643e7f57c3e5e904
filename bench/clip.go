package bench

import (
	"fmt"
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
	aus, c, err := codec.ReadAnnexBFile(path)
	if err != nil {
		return nil, false, err
	}
	if len(aus) == 0 {
		return nil, false, fmt.Errorf("%s: no access units (not an Annex-B H.264/H.265 stream?)", path)
	}
	return aus, c == codec.H265, nil
}
