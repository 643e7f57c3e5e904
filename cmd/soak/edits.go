package main

import (
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/camgate/camgate/api"
	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/pipeline"
)

// The edits fault: the operator's tools change cameras through the API, two
// clients at once, for the whole run, while someone edits the configuration
// file by hand every few seconds, and camgate's 2 s watcher runs. It has its
// own gateway, API and file (the soak's cameras are not configured from a
// file), with cameras that never answer: what it checks is the
// configuration, not the video. At the end nothing may be lost: each
// camera's last acknowledged API change is in the file and running, and
// each hand edit too.
const (
	editAPICameras  = 4 // changed through the API (stall_timeout)
	editHandCameras = 4 // changed by hand in the file (read_timeout)
	editClients     = 2
	editHandEvery   = 3 * time.Second
)

type editor struct {
	dir    string
	path   string
	dead   string // the cameras' URL
	doc    *conf.Document
	gw     *pipeline.Gateway
	srv    *api.Server
	client *http.Client
	stop   chan struct{}
	wg     sync.WaitGroup

	hand sync.RWMutex // API requests hold it to read; a hand edit and a pause, to write

	mu        sync.Mutex
	apiWant   map[string]int // camera → its last acknowledged stall_timeout, s
	handWant  map[string]int // camera → its read_timeout last written by hand, s
	requests  int
	handEdits int
	errors    []string
}

// startEditor starts the edits fault's gateway, API, watcher, API clients
// and hand editor.
func startEditor(seed int64) (*editor, error) {
	dir, err := os.MkdirTemp("", "soak-edits-")
	if err != nil {
		return nil, err
	}
	e := &editor{dir: dir, path: filepath.Join(dir, "camgate.yml"), stop: make(chan struct{}),
		apiWant: map[string]int{}, handWant: map[string]int{}, client: &http.Client{Timeout: 30 * time.Second}}
	dead, err := deadURL()
	if err != nil {
		return nil, err
	}
	e.dead = dead
	var yml strings.Builder
	yml.WriteString("# the soak's edits fault: edited through the API and by hand\nrtsp:\n  listen: 127.0.0.1:0\n  udp_rtp: off\ncameras:\n")
	for i := 0; i < editAPICameras; i++ {
		name := fmt.Sprintf("api-%d", i)
		fmt.Fprintf(&yml, "  %s:\n    url: %s\n    sub: off\n    stall_timeout: 5s\n", name, dead)
		e.apiWant[name] = 5
	}
	for i := 0; i < editHandCameras; i++ {
		name := fmt.Sprintf("hand-%d", i)
		fmt.Fprintf(&yml, "  %s:   # edited by hand\n    url: %s\n    sub: off\n    read_timeout: 5s\n", name, dead)
		e.handWant[name] = 5
	}
	if err := os.WriteFile(e.path, []byte(yml.String()), 0o600); err != nil {
		return nil, err
	}
	if e.doc, err = conf.LoadDocument(e.path); err != nil {
		return nil, err
	}
	f, err := e.doc.Parse()
	if err != nil {
		return nil, err
	}
	if e.gw, err = pipeline.StartGateway(f.Config, zerolog.Nop()); err != nil {
		return nil, err
	}
	if e.srv, err = api.New(api.Config{Address: "127.0.0.1:0", Version: "soak"}, e.gw, e.doc, zerolog.Nop()); err == nil {
		err = e.srv.Start()
	}
	if err != nil {
		e.gw.Close()
		return nil, err
	}
	e.wg.Add(2 + editClients)
	go e.watch()
	go e.editByHand(rand.New(rand.NewSource(seed)))
	for i := 0; i < editClients; i++ {
		go e.editThroughAPI(rand.New(rand.NewSource(seed+int64(i)+1)), i)
	}
	return e, nil
}

// deadURL is the address of a camera that never answers: a port just
// closed.
func deadURL() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return "rtsp://" + l.Addr().String() + "/x", nil
}

// watch is camgate run's file watcher (cmd/camgate: serveUntilStopped).
func (e *editor) watch() {
	defer e.wg.Done()
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.doc.Reload(false, func(f *conf.Conf) error {
				_, err := e.gw.Apply(f.Config)
				return err
			})
		}
	}
}

// editThroughAPI changes the stall_timeout of this client's cameras (each
// camera has one client, so its changes have an order).
func (e *editor) editThroughAPI(rng *rand.Rand, client int) {
	defer e.wg.Done()
	for {
		select {
		case <-e.stop:
			return
		case <-time.After(time.Duration(50+rng.Intn(150)) * time.Millisecond):
		}
		i := client + editClients*rng.Intn(editAPICameras/editClients)
		name := fmt.Sprintf("api-%d", i)
		secs := 1 + rng.Intn(30)
		e.hand.RLock()
		code, err := e.put(name, fmt.Sprintf(`{"url": %q, "sub": "off", "stall_timeout": "%ds"}`, e.dead, secs))
		e.mu.Lock()
		switch {
		case err != nil:
			e.errors = append(e.errors, fmt.Sprintf("PUT %s: %v", name, err))
		case code != http.StatusOK:
			e.errors = append(e.errors, fmt.Sprintf("PUT %s: status %d", name, code))
		default:
			e.apiWant[name] = secs
			e.requests++
		}
		e.mu.Unlock()
		e.hand.RUnlock()
	}
}

func (e *editor) put(name, body string) (int, error) {
	req, err := http.NewRequest("PUT", "http://"+e.srv.Addr().String()+"/v1/cameras/"+name, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := e.client.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// editByHand changes one hand camera's read_timeout in the file every few
// seconds, as an editor saves (a new file renamed over the old one), once
// the API requests in flight are answered; the next ones follow at once.
func (e *editor) editByHand(rng *rand.Rand) {
	defer e.wg.Done()
	for {
		select {
		case <-e.stop:
			return
		case <-time.After(editHandEvery):
		}
		name := fmt.Sprintf("hand-%d", rng.Intn(editHandCameras))
		secs := 1 + rng.Intn(30)
		e.hand.Lock()
		err := e.writeByHand(name, secs)
		e.mu.Lock()
		if err != nil {
			e.errors = append(e.errors, "hand edit: "+err.Error())
		} else {
			e.handWant[name] = secs
			e.handEdits++
		}
		e.mu.Unlock()
		e.hand.Unlock()
	}
}

func (e *editor) writeByHand(name string, secs int) error {
	b, err := os.ReadFile(e.path)
	if err != nil {
		return err
	}
	re := regexp.MustCompile(`(?m)(^  ` + regexp.QuoteMeta(name) + `:.*\n(?:    .*\n)*?    read_timeout: )\d+s`)
	if !re.Match(b) {
		return fmt.Errorf("%s's read_timeout is not in the file:\n%s", name, b)
	}
	b = re.ReplaceAll(b, []byte(fmt.Sprintf("${1}%ds", secs)))
	tmp := e.path + ".edit"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, e.path)
}

// pause holds the edits (for a resource sample) until resume.
func (e *editor) pause()  { e.hand.Lock() }
func (e *editor) resume() { e.hand.Unlock() }

// finish stops the edits and checks that none was lost: in the file, and in
// what runs. It returns the failures.
func (e *editor) finish() []string {
	close(e.stop)
	e.wg.Wait()
	// The watcher's next tick: a hand edit no API change followed.
	e.doc.Reload(false, func(f *conf.Conf) error {
		_, err := e.gw.Apply(f.Config)
		return err
	})
	e.mu.Lock()
	defer e.mu.Unlock()
	fails := append([]string(nil), e.errors...)
	check := func(where string, cams []pipeline.CameraConfig) []string {
		var lost []string
		got := map[string]pipeline.CameraConfig{}
		for _, c := range cams {
			got[c.Name] = c
		}
		for name, s := range e.apiWant {
			if c, ok := got[name]; !ok || c.StallTimeout != time.Duration(s)*time.Second {
				lost = append(lost, fmt.Sprintf("%s: %s has stall_timeout %v, the last API change set %ds", where, name, c.StallTimeout, s))
			}
		}
		for name, s := range e.handWant {
			if c, ok := got[name]; !ok || c.ReadTimeout != time.Duration(s)*time.Second {
				lost = append(lost, fmt.Sprintf("%s: %s has read_timeout %v, the last hand edit set %ds", where, name, c.ReadTimeout, s))
			}
		}
		return lost
	}
	f, err := conf.Load(e.path)
	if err != nil {
		return append(fails, "edits: the file does not load: "+err.Error())
	}
	fails = append(fails, check("edits: the file", f.Cameras)...)
	var running []pipeline.CameraConfig
	for _, c := range e.gw.Cameras() {
		running = append(running, c.Config())
	}
	return append(fails, check("edits: running", running)...)
}

// summary is the edits fault's line in the report.
func (e *editor) summary() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return fmt.Sprintf("edits: %d API changes acknowledged from %d clients, %d hand edits of the file in between, with the 2 s watcher", e.requests, editClients, e.handEdits)
}

func (e *editor) close() {
	e.client.CloseIdleConnections()
	e.srv.Close()
	e.gw.Close()
	os.RemoveAll(e.dir)
}
