package transcode

import "fmt"

// Limits of the picture sizes camgate accepts in its configuration.
const (
	MinDimension = 16
	MaxDimension = 8192
)

// checkSize rejects sizes 4:2:0 cannot represent or no camera produces.
func checkSize(width, height int) error {
	if width < MinDimension || height < MinDimension || width > MaxDimension || height > MaxDimension {
		return fmt.Errorf("size %dx%d: each side must be between %d and %d", width, height, MinDimension, MaxDimension)
	}
	if width%2 != 0 || height%2 != 0 {
		return fmt.Errorf("size %dx%d: width and height must be even (4:2:0 chroma)", width, height)
	}
	return nil
}
