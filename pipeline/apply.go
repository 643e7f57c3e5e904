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

// ErrNeedsRestart marks a change Apply cannot make while running (the RTSP
// server's settings): everything else was applied.
var ErrNeedsRestart = errors.New("they take effect at the next start")

// Apply brings the gateway to cfg by touching only what differs: cameras and
// grids that were added, removed or changed. A camera whose configuration is
// the same keeps its connection, decoder, readers and counters. A camera or
// grid that cannot start is kept in the failed state (see StartGateway) and
// named in the error. The RTSP server's settings cannot change while
// running; a difference there is reported as an error wrapping
// ErrNeedsRestart, after everything else was applied.
func (g *Gateway) Apply(cfg Config) ([]Change, error) {
	if err := validateConfig(cfg); err != nil {
		return nil, err
	}
	g.applyMu.Lock()
	defer g.applyMu.Unlock()
	changes, err := g.apply(cfg)
	if !reflect.DeepEqual(cfg.RTSP.WithDefaults(), g.rtspCfg.WithDefaults()) {
		err = errors.Join(err, fmt.Errorf("rtsp: the server's settings changed; %w", ErrNeedsRestart))
	}
	return changes, err
}

// ApplyAll applies cfg as Apply does, but all or nothing: if a camera or
// grid cannot start, the gateway goes back to the configuration it ran
// before, and the error says what failed. The API uses it, so that a change
// it answers with an error is neither running nor saved. A difference in the
// RTSP server's settings is not a failure here: it is logged, for the next
// start.
func (g *Gateway) ApplyAll(cfg Config) ([]Change, error) {
	if err := validateConfig(cfg); err != nil {
		return nil, err
	}
	g.applyMu.Lock()
	defer g.applyMu.Unlock()
	prev := g.cfg
	changes, err := g.apply(cfg)
	if err != nil {
		g.log.Warn().Err(err).Msg("configuration change failed: going back to the previous one")
		if _, rerr := g.apply(prev); rerr != nil {
			g.log.Error().Err(rerr).Msg("going back to the previous configuration")
		}
		return nil, err
	}
	if !reflect.DeepEqual(cfg.RTSP.WithDefaults(), g.rtspCfg.WithDefaults()) {
		g.log.Warn().Msg("rtsp: the server's settings changed; they take effect at the next start")
	}
	return changes, nil
}

// apply does Apply's work, applyMu held; the error names the cameras and
// grids that could not start.
func (g *Gateway) apply(cfg Config) ([]Change, error) {
	g.cfg = cfg

	g.mu.Lock()
	curCams := map[string]CameraConfig{}
	for name, c := range g.cams {
		curCams[name] = c.Config()
	}
	curGrids := map[string]GridConfig{}
	for name, e := range g.grids {
		curGrids[name] = e.grid.Config()
	}
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
	if err := CheckPaths(cfg); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// CheckPaths refuses two streams at one path. Camera names and grid names
// are separate, but their streams share one namespace: a camera named grid
// publishes grid/main and grid/sub, the paths of grids named main and sub.
// Disabled cameras count: enabling one must not break a grid.
func CheckPaths(cfg Config) error {
	owner := map[string]string{}
	var errs []error
	claim := func(path, who string) {
		if other, dup := owner[path]; dup && other != who { // a name defined twice is said elsewhere
			errs = append(errs, fmt.Errorf("%s: its stream %s is also %s's: rename one of them", who, path, other))
			return
		}
		owner[path] = who
	}
	for _, c := range cfg.Cameras {
		claim(c.Name+"/main", "camera "+c.Name)
		claim(c.Name+"/sub", "camera "+c.Name)
	}
	for _, name := range cfg.Disabled {
		claim(name+"/main", "camera "+name)
		claim(name+"/sub", "camera "+name)
	}
	for _, gc := range cfg.Grids {
		claim("grid/"+gc.Name, "grid "+gc.Name)
	}
	return errors.Join(errs...)
}
