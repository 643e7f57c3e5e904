package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/camgate/camgate/pipeline"
)

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
