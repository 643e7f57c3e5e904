package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
)

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
		exists := false
		f, err := s.doc.Edit(func(e *conf.Editor) error {
			exists = e.Has(section, name)
			if create && exists {
				return errConflict
			}
			if !create && !exists {
				return errNotFound
			}
			if section == "cameras" {
				if err := bindStoredCredentials(e, name, fields); err != nil {
					return err
				}
			}
			settings, _ := json.Marshal(fields)
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
			writeJSON(w, status, s.gridView(r, g))
			return
		}
	} else if c := s.gw.Camera(name); c != nil {
		writeJSON(w, status, s.cameraView(r, c))
		return
	}
	writeJSON(w, status, map[string]string{"name": name})
}
