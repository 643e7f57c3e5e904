package pipeline

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/camgate/camgate/transcode"
)

// Fit says how a camera's picture fills its tile.
type Fit int

// Fits. Letterbox keeps the whole picture and its aspect ratio, with black
// bars; crop keeps the aspect ratio and fills the tile, cutting the edges;
// stretch fills the tile and distorts.
const (
	FitLetterbox Fit = iota
	FitStretch
	FitCrop
)

var fitNames = [...]string{"letterbox", "stretch", "crop"}

func (f Fit) String() string {
	if f < 0 || int(f) >= len(fitNames) {
		return fmt.Sprintf("Fit(%d)", int(f))
	}
	return fitNames[f]
}

// MarshalText makes fits readable in JSON.
func (f Fit) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads a fit's name.
func (f *Fit) UnmarshalText(b []byte) error {
	v, err := ParseFit(string(b))
	*f = v
	return err
}

// ParseFit reads "letterbox" (the default, also ""), "stretch" or "crop".
func ParseFit(s string) (Fit, error) {
	for i, n := range fitNames {
		if strings.EqualFold(s, n) {
			return Fit(i), nil
		}
	}
	if s == "" {
		return FitLetterbox, nil
	}
	return 0, fmt.Errorf("fit %q: letterbox, stretch or crop", s)
}

// GridConfig describes a mosaic stream, published at grid/<name>.
type GridConfig struct {
	Name       string
	Cameras    []string // in tile order: left to right, top to bottom
	Cols, Rows int      // 0: chosen from the number of cameras
	Output     OutputConfig
	Fit        Fit
}

// DefaultGridOutput is a grid's picture unless configured otherwise.
var DefaultGridOutput = OutputConfig{
	Enabled: true, Width: 1280, Height: 720, FPS: 15,
	Encoder: transcode.EncoderConfig{Preset: "veryfast", Bitrate: 2_000_000},
}

// AutoLayout returns the smallest square-ish layout for n tiles: 1, 2×1,
// 2×2, 3×3, 4×4 …
func AutoLayout(n int) (cols, rows int) {
	switch {
	case n <= 1:
		return 1, 1
	case n == 2:
		return 2, 1
	}
	side := int(math.Ceil(math.Sqrt(float64(n))))
	return side, side
}

// WithDefaults fills unset fields.
func (g GridConfig) WithDefaults() GridConfig {
	if g.Cols <= 0 || g.Rows <= 0 {
		g.Cols, g.Rows = AutoLayout(len(g.Cameras))
	}
	if g.Output.Width == 0 || g.Output.Height == 0 {
		fps := g.Output.FPS
		g.Output = DefaultGridOutput
		if fps > 0 {
			g.Output.FPS = fps
		}
	}
	if g.Output.FPS == 0 {
		g.Output.FPS = DefaultGridOutput.FPS
	}
	g.Output.Enabled = true
	return g
}

// tileSize returns the size of one tile, even.
func (g GridConfig) tileSize() (w, h int) {
	return (g.Output.Width / g.Cols) &^ 1, (g.Output.Height / g.Rows) &^ 1
}

// Validate reports every problem of the grid on its own; whether its cameras
// exist is the gateway's to check.
func (g GridConfig) Validate() error {
	var errs []error
	if err := ValidName(g.Name); err != nil {
		errs = append(errs, err)
	}
	if len(g.Cameras) == 0 {
		errs = append(errs, errors.New("cameras: none listed"))
	}
	seen := map[string]bool{}
	for _, c := range g.Cameras {
		if seen[c] {
			errs = append(errs, fmt.Errorf("cameras: %s listed twice", c))
		}
		seen[c] = true
	}
	if g.Cols < 0 || g.Rows < 0 || g.Cols > 8 || g.Rows > 8 {
		errs = append(errs, fmt.Errorf("layout %dx%d: at most 8x8", g.Cols, g.Rows))
	} else if g.Cols*g.Rows < len(g.Cameras) {
		errs = append(errs, fmt.Errorf("layout %dx%d has %d tiles for %d cameras", g.Cols, g.Rows, g.Cols*g.Rows, len(g.Cameras)))
	}
	if err := g.Output.Validate(); err != nil {
		errs = append(errs, err)
	} else if tw, th := g.tileSize(); tw < transcode.MinDimension || th < transcode.MinDimension {
		errs = append(errs, fmt.Errorf("tiles of %dx%d are too small: make the grid larger or the layout smaller", tw, th))
	}
	return errors.Join(errs...)
}
