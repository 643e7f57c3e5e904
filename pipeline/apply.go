package pipeline

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
)

// Change is one thing Apply did.
type Change struct {
	Kind   string `json:"kind"`   // "camera" or "grid"
	Name   string `json:"name"`   //
	Action string `json:"action"` // "added", "removed" or "restarted"
}

func (c Change) String() string { return c.Kind + " " + c.Name + " " + c.Action }

// Apply brings the gateway to cfg by touching only what differs: cameras and
// grids that were added, removed or changed. A camera whose configuration is
// the same keeps its connection, decoder, readers and counters. The RTSP
// server's settings cannot change while running; a difference there is
// reported as an error after everything else was applied.
func (g *Gateway) Apply(cfg Config) ([]Change, error) {
	if err := validateConfig(cfg); err != nil {
		return nil, err
	}
	g.applyMu.Lock()
	defer g.applyMu.Unlock()

	g.mu.Lock()
	curCams := map[string]CameraConfig{}
	for name, c := range g.cams {
		curCams[name] = c.Config()
	}
	curGrids := map[string]GridConfig{}
	for name, e := range g.grids {
		curGrids[name] = e.grid.Config()
	}
	rtspCfg := g.rtspCfg
	g.mu.Unlock()

	wantCams := map[string]CameraConfig{}
	for _, c := range cfg.Cameras {
		wantCams[c.Name] = c.WithDefaults()
	}
	wantGrids := map[string]GridConfig{}
	for _, gc := range cfg.Grids {
		wantGrids[gc.Name] = gc.WithDefaults()
	}

	var changes []Change
	var errs []error
	// Grids first out, cameras next, then cameras in, grids last: a grid
	// never points at a camera that is being replaced.
	for _, name := range sortedKeys(curGrids) {
		if want, ok := wantGrids[name]; !ok || !reflect.DeepEqual(want, curGrids[name]) {
			if err := g.RemoveGrid(name); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, name := range sortedKeys(curCams) {
		want, ok := wantCams[name]
		switch {
		case !ok:
			if err := g.RemoveCamera(name); err != nil {
				errs = append(errs, err)
			}
			changes = append(changes, Change{"camera", name, "removed"})
		case !reflect.DeepEqual(want, curCams[name]):
			if err := g.RemoveCamera(name); err != nil {
				errs = append(errs, err)
			}
			if err := g.AddCamera(want); err != nil {
				errs = append(errs, err)
			}
			changes = append(changes, Change{"camera", name, "restarted"})
		}
	}
	for _, c := range cfg.Cameras {
		if _, ok := curCams[c.Name]; !ok {
			if err := g.AddCamera(c); err != nil {
				errs = append(errs, err)
				continue
			}
			changes = append(changes, Change{"camera", c.Name, "added"})
		}
	}
	for _, gc := range cfg.Grids {
		cur, ok := curGrids[gc.Name]
		if ok && reflect.DeepEqual(gc.WithDefaults(), cur) {
			continue
		}
		if err := g.AddGrid(gc); err != nil {
			errs = append(errs, err)
			continue
		}
		action := "added"
		if ok {
			action = "restarted"
		}
		changes = append(changes, Change{"grid", gc.Name, action})
	}
	for _, name := range sortedKeys(curGrids) {
		if _, ok := wantGrids[name]; !ok {
			changes = append(changes, Change{"grid", name, "removed"})
		}
	}
	if !reflect.DeepEqual(cfg.RTSP.WithDefaults(), rtspCfg.WithDefaults()) {
		errs = append(errs, errors.New("rtsp: the server's settings changed; they take effect at the next start"))
	}
	for _, c := range changes {
		g.log.Info().Str("change", c.String()).Msg("configuration applied")
	}
	return changes, errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Validate checks a whole configuration as StartGateway and Apply do: every
// camera and grid, unique names, grids naming existing cameras.
func (cfg Config) Validate() error { return validateConfig(cfg) }

// validateConfig checks a whole configuration: every camera and grid, unique
// names, grids naming existing cameras.
func validateConfig(cfg Config) error {
	seen := map[string]bool{}
	var errs []error
	for _, c := range cfg.Cameras {
		if seen[c.Name] {
			errs = append(errs, fmt.Errorf("camera %s: defined twice", c.Name))
		}
		seen[c.Name] = true
		if err := c.WithDefaults().Validate(); err != nil {
			errs = append(errs, fmt.Errorf("camera %s: %w", c.Name, err))
		}
	}
	for _, name := range cfg.Disabled {
		seen[name] = true
	}
	gridNames := map[string]bool{}
	for _, gc := range cfg.Grids {
		if gridNames[gc.Name] {
			errs = append(errs, fmt.Errorf("grid %s: defined twice", gc.Name))
		}
		gridNames[gc.Name] = true
		if err := gc.WithDefaults().Validate(); err != nil {
			errs = append(errs, fmt.Errorf("grid %s: %w", gc.Name, err))
		}
		for _, name := range gc.Cameras {
			if !seen[name] {
				errs = append(errs, fmt.Errorf("grid %s: camera %s does not exist", gc.Name, name))
			}
		}
	}
	return errors.Join(errs...)
}
