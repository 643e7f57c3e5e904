package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/camgate/camgate/conf"
)

// TestAPIEditsSurviveReloadsAndHandEdits runs camgate on a configuration
// file with its 2 s watcher, sends API changes from four clients at once for
// about 12 s, and edits the file by hand every 1.5 s in between (each hand
// edit waits for the requests in flight, as a person would; the next API
// request follows at once). Then nothing may be lost: every change the API
// acknowledged is in the file and running, every hand edit is in the file
// and running, and nothing else is. And camgate's own saves are not reloaded
// by its watcher. Before (edit, apply and save were three steps, the watcher
// reloaded on any new mtime): changes the API had acknowledged vanished from
// the file and the running set, and hand edits were overwritten.
func TestAPIEditsSurviveReloadsAndHandEdits(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 20 s")
	}
	dead := "rtsp://" + freeAddr(t) + "/x" // cameras that never answer: cheap to run
	dir := t.TempDir()
	cfg := filepath.Join(dir, "camgate.yml")
	base := "# written by hand\nrtsp:\n  listen: 127.0.0.1:0\n  udp_rtp: off\napi:\n  listen: 127.0.0.1:0\nwebrtc:\n  listen: off\nhls:\n  listen: off\ncameras:\n  seed:\n    url: " + dead + "\n"
	if err := os.WriteFile(cfg, []byte(base), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb syncBuffer
	code := make(chan int, 1)
	go func() { code <- run([]string{"run", "-c", cfg}, &out, &errb) }()
	_, apiAddr := listening(t, &out, &errb, code)
	api := "http://" + apiAddr
	client := &http.Client{Timeout: patience}
	defer client.CloseIdleConnections()

	do := func(method, path, body string) int {
		req, _ := http.NewRequest(method, api+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			t.Errorf("%s %s: %v", method, path, err)
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}

	var (
		hand     sync.RWMutex // API requests hold it to read; a hand edit, to write
		mu       sync.Mutex
		want     = map[string]bool{"seed": true} // what must be in the file and running
		requests int
	)
	set := func(name string, present bool) {
		mu.Lock()
		defer mu.Unlock()
		if present {
			want[name] = true
		} else {
			delete(want, name)
		}
		requests++
	}
	// API clients: each owns its names, so its acknowledged changes of a
	// name are in a known order.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			live := map[string]bool{}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				hand.RLock()
				name := fmt.Sprintf("api-%d-%d", w, rng.IntN(6))
				body := fmt.Sprintf(`{"url": %q, "stall_timeout": "%ds", "sub": {"size": "160x96", "fps": 5}}`, dead, 1+rng.IntN(9))
				switch {
				case !live[name]:
					if c := do("POST", "/v1/cameras", fmt.Sprintf(`{"name": %q, %s`, name, body[1:])); c == 201 {
						live[name] = true
						set(name, true)
					} else {
						t.Errorf("POST %s: %d", name, c)
					}
				case rng.IntN(2) == 0:
					if c := do("PUT", "/v1/cameras/"+name, body); c == 200 {
						set(name, true)
					} else {
						t.Errorf("PUT %s: %d", name, c)
					}
				default:
					if c := do("DELETE", "/v1/cameras/"+name, ""); c == 204 {
						delete(live, name)
						set(name, false)
					} else {
						t.Errorf("DELETE %s: %d", name, c)
					}
				}
				hand.RUnlock()
			}
		}()
	}
	// Hand edits: a camera appended to the file, as an editor saves it
	// (a new file renamed over the old one).
	handEdits := 0
	for end := time.Now().Add(12 * time.Second); time.Now().Before(end); {
		time.Sleep(1500 * time.Millisecond)
		hand.Lock()
		b, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("hand-%d", handEdits)
		text := string(b)
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		text += "  " + name + ":\n    url: " + dead + "\n"
		tmp := cfg + ".edit"
		if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, cfg); err != nil {
			t.Fatal(err)
		}
		handEdits++
		set(name, true)
		hand.Unlock()
	}
	// A quiet phase of API changes only: the watcher must not reload
	// camgate's own saves.
	reloadsBefore := strings.Count(errb.String(), "reload: configuration")
	time.Sleep(5 * time.Second)
	close(stop)
	wg.Wait()
	if n := strings.Count(errb.String(), "reload: configuration") - reloadsBefore; n != 0 {
		t.Errorf("the watcher reloaded %d times while only the API changed the file: it reacts to camgate's own saves", n)
	}

	mu.Lock()
	var wantNames []string
	for n := range want {
		wantNames = append(wantNames, n)
	}
	mu.Unlock()
	sort.Strings(wantNames)
	t.Logf("%d API changes acknowledged, %d hand edits; %d cameras expected", requests, handEdits, len(wantNames))
	if requests < 20 {
		t.Errorf("only %d API changes in 17 s", requests)
	}

	running := func() []string {
		res, err := client.Get(api + "/v1/cameras")
		if err != nil {
			return nil
		}
		defer res.Body.Close()
		var list []struct {
			Name string `json:"name"`
		}
		json.NewDecoder(res.Body).Decode(&list)
		var names []string
		for _, c := range list {
			names = append(names, c.Name)
		}
		sort.Strings(names)
		return names
	}
	inFile := func() []string {
		f, err := conf.Load(cfg)
		if err != nil {
			t.Fatalf("the saved file does not load: %v", err)
		}
		var names []string
		for _, c := range f.Cameras {
			names = append(names, c.Name)
		}
		sort.Strings(names)
		return names
	}
	if got := inFile(); fmt.Sprint(got) != fmt.Sprint(wantNames) {
		t.Errorf("file has %v\nwant       %v", got, wantNames)
	}
	// A hand edit that no API change followed applies within a tick.
	var got []string
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if got = running(); fmt.Sprint(got) == fmt.Sprint(wantNames) {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(wantNames) {
		t.Errorf("running %v\nwant    %v", got, wantNames)
	}
	if b, _ := os.ReadFile(cfg); !strings.Contains(string(b), "# written by hand") {
		t.Error("the file's comment was lost")
	}
	select {
	case c := <-code:
		t.Fatalf("run ended early with %d:\n%s", c, errb.String())
	default:
	}
	syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
	if c := <-code; c != 0 {
		t.Errorf("exit %d", c)
	}
}
