package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
)

// cameraView is a camera as the API shows it: its configuration, password
// redacted, its state and counters, and the URLs of its streams.
type cameraView struct {
	pipeline.CameraStats
	Config cameraConfigView  `json:"config"`
	URLs   map[string]string `json:"urls"`
}

type cameraConfigView struct {
	URL          string                 `json:"url"`
	Transport    string                 `json:"transport"`
	StallTimeout string                 `json:"stall_timeout"`
	Main         string                 `json:"main"`
	Sub          *outputConfigView      `json:"sub,omitempty"`
	MainOutput   *outputConfigView      `json:"main_output,omitempty"`
	Backoff      map[string]string      `json:"backoff"`
	Decoder      pipeline.DecoderConfig `json:"decoder"`
}

type outputConfigView struct {
	Size    string `json:"size"`
	FPS     int    `json:"fps"`
	Bitrate int    `json:"bitrate,omitempty"`
	CRF     int    `json:"crf,omitempty"`
	Preset  string `json:"preset"`
	GOP     int    `json:"gop,omitempty"`
	Scale   string `json:"scale"`
}

func outputView(o pipeline.OutputConfig) *outputConfigView {
	e := o.Encoder.WithDefaults()
	return &outputConfigView{
		Size: strconv.Itoa(o.Width) + "x" + strconv.Itoa(o.Height), FPS: o.FPS,
		Bitrate: o.Encoder.Bitrate, CRF: o.Encoder.CRF, Preset: e.Preset, GOP: o.Encoder.GOP, Scale: o.Scale.String(),
	}
}

// rtspURL is the URL of a path for a client that reached the API at host.
func (s *Server) rtspURL(r *http.Request, path string) string {
	u := s.gw.Server().URL(path)
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if host == "" {
		return u
	}
	// Replace the host of the server's own URL by the one the client used.
	rest := strings.TrimPrefix(u, "rtsp://")
	_, port, _ := net.SplitHostPort(rest[:strings.IndexByte(rest, '/')])
	return "rtsp://" + net.JoinHostPort(host, port) + rest[strings.IndexByte(rest, '/'):]
}

func (s *Server) cameraView(r *http.Request, c *pipeline.Camera) cameraView {
	cfg := c.Config()
	v := cameraView{CameraStats: c.Stats(), URLs: map[string]string{}}
	v.Config = cameraConfigView{
		URL: rtsp.Redact(cfg.URL), Transport: cfg.Transport.String(), StallTimeout: cfg.StallTimeout.String(),
		Main: "passthrough", Decoder: cfg.Decoder,
		Backoff: map[string]string{"min": cfg.Backoff.Min.String(), "max": cfg.Backoff.Max.String()},
	}
	if cfg.Main.Transcode {
		v.Config.Main = "transcode"
		v.Config.MainOutput = outputView(cfg.Main.Output)
	}
	v.URLs["main"] = s.rtspURL(r, cfg.Name+"/main")
	if cfg.Sub.Enabled {
		v.Config.Sub = outputView(cfg.Sub)
		v.URLs["sub"] = s.rtspURL(r, cfg.Name+"/sub")
	}
	return v
}

func (s *Server) listCameras(w http.ResponseWriter, r *http.Request) {
	out := []cameraView{}
	for _, c := range s.gw.Cameras() {
		out = append(out, s.cameraView(r, c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getCamera(w http.ResponseWriter, r *http.Request) {
	c := s.gw.Camera(r.PathValue("name"))
	if c == nil {
		writeError(w, http.StatusNotFound, "no camera named %q", r.PathValue("name"))
		return
	}
	writeJSON(w, http.StatusOK, s.cameraView(r, c))
}

func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) {
	c := s.gw.Camera(r.PathValue("name"))
	if c == nil {
		writeError(w, http.StatusNotFound, "no camera named %q", r.PathValue("name"))
		return
	}
	if st := c.Stats().State; st != pipeline.StateReady {
		writeError(w, http.StatusServiceUnavailable, "camera %s is %s: no picture", c.Name(), st)
		return
	}
	// A camera that was not decoding starts at its next keyframe: allow for
	// a long GOP.
	serveSnapshot(w, r, "camera "+c.Name(), 8*time.Second, c.Snapshot)
}

func (s *Server) gridSnapshot(w http.ResponseWriter, r *http.Request) {
	g := s.gw.Grid(r.PathValue("name"))
	if g == nil {
		writeError(w, http.StatusNotFound, "no grid named %q", r.PathValue("name"))
		return
	}
	// A grid always has a picture, placeholders for cameras that are down;
	// an idle one needs its cameras to start feeding it first.
	serveSnapshot(w, r, "grid "+g.Name(), 3*time.Second, g.Snapshot)
}

// serveSnapshot answers with the JPEG that take returns, ?width= pixels wide.
func serveSnapshot(w http.ResponseWriter, r *http.Request, what string, timeout time.Duration,
	take func(ctx context.Context, width int) ([]byte, error)) {
	width := 0
	if q := r.URL.Query().Get("width"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 16 || n > 8192 {
			writeError(w, http.StatusBadRequest, "width %q: a number of pixels between 16 and 8192", q)
			return
		}
		width = n
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	jpeg, err := take(ctx, width)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "%s: %v", what, err)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(jpeg)))
	w.Write(jpeg)
}

type gridView struct {
	pipeline.GridStats
	URL string `json:"url"`
}

func (s *Server) listGrids(w http.ResponseWriter, r *http.Request) {
	out := []gridView{}
	for _, g := range s.gw.Grids() {
		out = append(out, gridView{g.Stats(), s.rtspURL(r, "grid/"+g.Name())})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getGrid(w http.ResponseWriter, r *http.Request) {
	g := s.gw.Grid(r.PathValue("name"))
	if g == nil {
		writeError(w, http.StatusNotFound, "no grid named %q", r.PathValue("name"))
		return
	}
	writeJSON(w, http.StatusOK, gridView{g.Stats(), s.rtspURL(r, "grid/"+g.Name())})
}

// readyz answers 200 when every camera is ready, or at least the share of
// them given as ?min=0.75.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	share := 1.0
	if q := r.URL.Query().Get("min"); q != "" {
		v, err := strconv.ParseFloat(q, 64)
		if err != nil || v < 0 || v > 1 {
			writeError(w, http.StatusBadRequest, "min %q: a share between 0 and 1", q)
			return
		}
		share = v
	}
	cams := s.gw.Cameras()
	ready := 0
	var notReady []string
	for _, c := range cams {
		if c.Stats().State == pipeline.StateReady {
			ready++
		} else {
			notReady = append(notReady, c.Name())
		}
	}
	body := map[string]any{"cameras": len(cams), "ready": ready, "not_ready": notReady}
	status := http.StatusOK
	if len(cams) > 0 && float64(ready) < share*float64(len(cams)) {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, body)
}

// putEntry creates (POST, name in the body) or replaces (PUT, name in the
// path) a camera or grid: the change is checked as part of the whole
// configuration, applied live, and saved.
func (s *Server) putEntry(section string, create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			writeError(w, http.StatusBadRequest, "body: %v", err)
			return
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil {
			writeError(w, http.StatusBadRequest, "body: not a JSON object: %v", err)
			return
		}
		name := r.PathValue("name")
		if create {
			if err := json.Unmarshal(fields["name"], &name); err != nil || name == "" {
				writeError(w, http.StatusBadRequest, "name: missing (a string)")
				return
			}
		}
		if err := pipeline.ValidName(name); err != nil {
			writeError(w, http.StatusBadRequest, "name: %v", err)
			return
		}
		delete(fields, "name")
		settings, _ := json.Marshal(fields)
		exists := false
		f, err := s.doc.Edit(func(e *conf.Editor) error {
			exists = e.Has(section, name)
			if create && exists {
				return errConflict
			}
			if !create && !exists {
				return errNotFound
			}
			return e.Set(section, name, settings)
		})
		if s.finishEdit(w, f, err, section, name) {
			status := http.StatusOK
			if create {
				status = http.StatusCreated
			}
			s.respondEntry(w, r, status, section, name)
		}
	}
}

func (s *Server) deleteEntry(section string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		f, err := s.doc.Edit(func(e *conf.Editor) error {
			if !e.Delete(section, name) {
				return errNotFound
			}
			return nil
		})
		if s.finishEdit(w, f, err, section, name) {
			w.WriteHeader(http.StatusNoContent)
		}
	}
}

var (
	errNotFound = errors.New("not found")
	errConflict = errors.New("exists")
)

// finishEdit applies and saves an edited configuration, or writes the error.
func (s *Server) finishEdit(w http.ResponseWriter, f *conf.Conf, err error, section, name string) bool {
	what := strings.TrimSuffix(section, "s")
	switch {
	case errors.Is(err, errNotFound):
		writeError(w, http.StatusNotFound, "no %s named %q", what, name)
		return false
	case errors.Is(err, errConflict):
		writeError(w, http.StatusConflict, "%s %q exists already: use PUT /v1/%s/%s to change it", what, name, section, name)
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, "%s", rtsp.RedactText(err.Error()))
		return false
	}
	if _, err := s.gw.Apply(f.Config); err != nil {
		s.log.Warn().Err(err).Msg("apply")
	}
	if err := s.doc.Save(); err != nil {
		writeError(w, http.StatusInternalServerError, "applied, but not saved: %v", err)
		return false
	}
	return true
}

func (s *Server) respondEntry(w http.ResponseWriter, r *http.Request, status int, section, name string) {
	if section == "grids" {
		if g := s.gw.Grid(name); g != nil {
			writeJSON(w, status, gridView{g.Stats(), s.rtspURL(r, "grid/"+name)})
			return
		}
	} else if c := s.gw.Camera(name); c != nil {
		writeJSON(w, status, s.cameraView(r, c))
		return
	}
	writeJSON(w, status, map[string]string{"name": name})
}
