package api

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed web
var webFS embed.FS

// staticFS holds the dashboard's script and style, embedded in the binary:
// no CDN, no build step.
var staticFS, _ = fs.Sub(webFS, "web")

var dashboardPage = template.Must(template.ParseFS(webFS, "web/index.html"))

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = dashboardPage.Execute(w, map[string]string{"Version": s.cfg.Version, "LiveQuery": s.liveQuery()})
}
