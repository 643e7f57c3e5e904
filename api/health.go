package api

import (
	"net/http"
	"strconv"

	"github.com/camgate/camgate/pipeline"
)

// healthz answers 200 while the process serves: liveness, not readiness.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
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
