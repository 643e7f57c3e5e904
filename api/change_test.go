package api

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/stream"
)

// TestAPIChangeThatCannotApplyIsNotSaved: a valid change that cannot be
// applied (here, a path already published by someone else, so the camera
// cannot start) is answered 422, and neither runs nor is saved; a PUT that
// cannot be applied leaves the camera running as it was. Before: the API
// saved the change and answered 201.
func TestAPIChangeThatCannotApplyIsNotSaved(t *testing.T) {
	fx := newFixture(t)
	squatter, err := fx.gw.Hub().Publish("cam9/main", stream.PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer squatter.Close()
	before, _ := os.ReadFile(fx.path)
	code, b := fx.do("POST", "/v1/cameras", fmt.Sprintf(`{"name": "cam9", "url": %q}`, fx.fakes[0].URL()))
	if code != 422 || !strings.Contains(string(b), "cam9/main") {
		t.Errorf("POST a camera that cannot start: %d %s, want 422 naming the path", code, b)
	}
	if c := fx.gw.Camera("cam9"); c != nil {
		t.Errorf("cam9 runs, in state %v", c.Stats().State)
	}
	if after, _ := os.ReadFile(fx.path); string(after) != string(before) {
		t.Errorf("the file changed:\n%s", after)
	}

	// A PUT: cam1 without a sub stream, then with one whose path is taken.
	if code, b := fx.do("PUT", "/v1/cameras/cam1", fmt.Sprintf(`{"url": %q, "sub": "off"}`, fx.fakes[1].URL())); code != 200 {
		t.Fatalf("PUT cam1 sub off: %d %s", code, b)
	}
	fx.waitReady("cam1")
	squatter2, err := fx.gw.Hub().Publish("cam1/sub", stream.PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer squatter2.Close()
	before, _ = os.ReadFile(fx.path)
	code, b = fx.do("PUT", "/v1/cameras/cam1", fmt.Sprintf(`{"url": %q}`, fx.fakes[1].URL()))
	if code != 422 {
		t.Errorf("PUT cam1 with a taken sub path: %d %s, want 422", code, b)
	}
	if after, _ := os.ReadFile(fx.path); string(after) != string(before) {
		t.Errorf("the file changed:\n%s", after)
	}
	c := fx.gw.Camera("cam1")
	if c == nil || c.Config().Sub.Enabled {
		t.Fatalf("cam1 is not back as it was (no sub): %v", c)
	}
	fx.waitReady("cam1")
	if !strings.Contains(fx.logs.String(), "going back to the previous") {
		t.Error("the log does not say the change was undone")
	}
}

// TestAPIKeepsHandEdits: a hand edit of the file made just before an API
// change is kept and applied with it; a hand edit of the same camera, or a
// file left invalid by a hand edit, makes the API refuse the change with 409
// rather than overwrite the edit. Before: the API's save overwrote them.
func TestAPIKeepsHandEdits(t *testing.T) {
	fx := newFixture(t)
	handEdit := func(text string) {
		t.Helper()
		tmp := fx.path + ".edit"
		if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, fx.path); err != nil {
			t.Fatal(err)
		}
	}
	orig, _ := os.ReadFile(fx.path)

	// Another camera added by hand, then an API change: both are kept.
	withHand := string(orig) + "  hand:   # added by hand\n    url: " + fx.fakes[2].URL() + "\n"
	handEdit(withHand)
	if code, b := fx.do("POST", "/v1/cameras", fmt.Sprintf(`{"name": "cam9", "url": %q, "sub": "off"}`, fx.fakes[0].URL())); code != 201 {
		t.Fatalf("POST after a hand edit: %d %s", code, b)
	}
	saved, _ := os.ReadFile(fx.path)
	if !strings.Contains(string(saved), "hand:") || !strings.Contains(string(saved), "# added by hand") || !strings.Contains(string(saved), "cam9:") {
		t.Errorf("the hand edit or the change is missing:\n%s", saved)
	}
	if fx.gw.Camera("hand") == nil || fx.gw.Camera("cam9") == nil {
		t.Error("the hand edit or the change does not run")
	}

	// cam1 changed by hand, then a PUT of cam1: refused, the hand edit stays.
	edited := strings.Replace(string(saved), "  cam1:", "  cam1:\n    read_timeout: 7s", 1)
	handEdit(edited)
	code, b := fx.do("PUT", "/v1/cameras/cam1", fmt.Sprintf(`{"url": %q}`, fx.fakes[1].URL()))
	if code != 409 || !strings.Contains(string(b), "cam1") || !strings.Contains(string(b), "changed") {
		t.Errorf("PUT of a camera changed by hand: %d %s, want 409", code, b)
	}
	if now, _ := os.ReadFile(fx.path); string(now) != edited {
		t.Errorf("the hand edit was overwritten:\n%s", now)
	}

	// A file left invalid: no change is saved over it.
	broken := edited + "  broken: [\n"
	handEdit(broken)
	code, b = fx.do("DELETE", "/v1/cameras/cam9", "")
	if code != 409 || !strings.Contains(string(b), "not valid") {
		t.Errorf("DELETE with an invalid file on disk: %d %s, want 409", code, b)
	}
	if now, _ := os.ReadFile(fx.path); string(now) != broken {
		t.Errorf("the invalid file was overwritten:\n%s", now)
	}
	if fx.gw.Camera("cam9") == nil {
		t.Error("cam9 was removed although the DELETE was refused")
	}
}

// TestAPIConcurrentChangesApplyInOrder: many PUTs of one camera at once;
// when they are done, the camera runs with the settings the file has (the
// last change saved is the last applied). Before: edit, apply and save were
// separate steps, and an older change could be applied after a newer one.
func TestAPIConcurrentChangesApplyInOrder(t *testing.T) {
	fx := newFixture(t)
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 6; i++ {
				body := fmt.Sprintf(`{"url": %q, "stall_timeout": "%ds", "sub": {"size": "160x96", "fps": 5}}`, fx.fakes[2].URL(), 1+(w*6+i)%30)
				if code, b := fx.do("PUT", "/v1/cameras/cam2", body); code != 200 {
					t.Errorf("PUT: %d %s", code, b)
				}
			}
		}()
	}
	wg.Wait()
	f, err := conf.Load(fx.path)
	if err != nil {
		t.Fatal(err)
	}
	var saved time.Duration
	for _, c := range f.Cameras {
		if c.Name == "cam2" {
			saved = c.StallTimeout
		}
	}
	if running := fx.gw.Camera("cam2").Config().StallTimeout; running != saved {
		t.Errorf("cam2 runs with stall_timeout %v, the file says %v", running, saved)
	}
	fx.waitReady("cam2")
}

// TestPanicsMetric: the panics of each camera and grid are counted in the
// metrics (pipeline's tests inject the panics).
func TestPanicsMetric(t *testing.T) {
	fx := newFixture(t)
	m, _ := scrape(t, fx)
	for _, k := range []string{"camgate_camera_panics_total,camera=cam0", "camgate_camera_panics_total,camera=cam2"} {
		if v, ok := m[k]; !ok || v != 0 {
			t.Errorf("%s: %v %v, want 0", k, v, ok)
		}
	}
}
