package api

import (
	"net/http"

	"github.com/camgate/camgate/pipeline"
)

type gridView struct {
	pipeline.GridStats
	URL  string    `json:"url"`
	Live *liveURLs `json:"live,omitempty"`
}

func (s *Server) gridView(r *http.Request, g *pipeline.Grid) gridView {
	path := "grid/" + g.Name()
	return gridView{g.Stats(), s.rtspURL(r, path), s.liveURLs(r, path)}
}

func (s *Server) listGrids(w http.ResponseWriter, r *http.Request) {
	out := []gridView{}
	for _, g := range s.gw.Grids() {
		out = append(out, s.gridView(r, g))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getGrid(w http.ResponseWriter, r *http.Request) {
	g := s.gw.Grid(r.PathValue("name"))
	if g == nil {
		writeError(w, http.StatusNotFound, "no grid named %q", r.PathValue("name"))
		return
	}
	writeJSON(w, http.StatusOK, s.gridView(r, g))
}
