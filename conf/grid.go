package conf

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/camgate/camgate/pipeline"
)

// fileGrid is a grid's section: its cameras, layout and fit, and output
// settings.
type fileGrid struct {
	Cameras []string
	Layout  string
	Fit     string
	Output  fileOutput
}

func (g *fileGrid) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a grid is a mapping with cameras, layout, size …", n.Line)
	}
	rest := *n
	rest.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "cameras":
			err = v.Decode(&g.Cameras)
		case "layout":
			err = v.Decode(&g.Layout)
		case "fit":
			err = v.Decode(&g.Fit)
		default:
			rest.Content = append(rest.Content, k, v)
			continue
		}
		if err != nil {
			return fmt.Errorf("line %d: %s: %w", k.Line, k.Value, err)
		}
	}
	return g.Output.UnmarshalYAML(&rest)
}

// buildGrids reads the grids section into out. A grid may list a disabled
// camera, not one the file does not have.
func buildGrids(fc *fileConfig, out *Conf) []error {
	var errs []error
	if fc.Grids.Kind != 0 && fc.Grids.Kind != yaml.MappingNode {
		errs = append(errs, fmt.Errorf("line %d: grids: expected a mapping of name: settings", fc.Grids.Line))
	}
	cams := map[string]bool{}
	for i := 0; i+1 < len(fc.Cameras.Content); i += 2 {
		cams[fc.Cameras.Content[i].Value] = true
	}
	for i := 0; i+1 < len(fc.Grids.Content); i += 2 {
		key, val := fc.Grids.Content[i], fc.Grids.Content[i+1]
		var fg fileGrid
		if err := val.Decode(&fg); err != nil {
			errs = append(errs, fmt.Errorf("grid %s (line %d): %w", key.Value, key.Line, err))
			continue
		}
		gc, err := buildGrid(key.Value, fg, val)
		for _, c := range fg.Cameras {
			if !cams[c] {
				err = errors.Join(err, fmt.Errorf("camera %q does not exist", c))
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("grid %s (line %d): %w", key.Value, key.Line, err))
			continue
		}
		out.Grids = append(out.Grids, gc)
	}
	return errs
}

func buildGrid(name string, fg fileGrid, node *yaml.Node) (pipeline.GridConfig, error) {
	g := pipeline.GridConfig{Name: name, Cameras: fg.Cameras}
	var errs []error
	if fg.Layout != "" && fg.Layout != "auto" {
		c, r, err := ParseSize(fg.Layout)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: layout: %q: expected COLSxROWS such as 3x3, or auto", lineOf(node, "layout"), fg.Layout))
		}
		g.Cols, g.Rows = c, r
	}
	fit, err := pipeline.ParseFit(fg.Fit)
	if err != nil {
		errs = append(errs, fmt.Errorf("line %d: %w", lineOf(node, "fit"), err))
	}
	g.Fit = fit
	o, err := buildOutput(pipeline.DefaultGridOutput, &fg.Output)
	if err != nil {
		errs = append(errs, err)
	}
	g.Output = o
	if len(errs) > 0 {
		return g, errors.Join(errs...)
	}
	if err := g.WithDefaults().Validate(); err != nil {
		return g, fmt.Errorf("line %d: %w", lineOf(node, ""), err)
	}
	return g, nil
}
