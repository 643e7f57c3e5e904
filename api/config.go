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
// configuration, applied live, and saved, in one step (conf.Document.Change).
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
		err = s.change(func(e *conf.Editor) error {
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
		if s.finishEdit(w, err, section, name) {
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
		err := s.change(func(e *conf.Editor) error {
			if !e.Delete(section, name) {
				return errNotFound
			}
			return nil
		})
		if s.finishEdit(w, err, section, name) {
			w.WriteHeader(http.StatusNoContent)
		}
	}
}

var (
	errNotFound = errors.New("not found")
	errConflict = errors.New("exists")
)

// change edits, applies and saves the configuration, all or nothing: see
// conf.Document.Change. A change that touches the RTSP server's settings
// (a hand edit merged with it) applies at the next start.
func (s *Server) change(edit func(e *conf.Editor) error) error {
	_, err := s.doc.Change(edit, func(f *conf.Conf) error {
		_, err := s.gw.ApplyAll(f.Config)
		return err
	})
	return err
}

// finishEdit writes the error of a change, if any, and reports whether there
// was none. Statuses: 404 and 409 for the entry itself; 409 when the file
// was edited by hand in a way the change cannot be merged with; 422 when the
// change is valid but could not be applied (a camera or grid could not
// start: sending it again would fail again, and it is not a fault of
// camgate's as a 500 would say); 500 when it could not be saved.
func (s *Server) finishEdit(w http.ResponseWriter, err error, section, name string) bool {
	what := strings.TrimSuffix(section, "s")
	msg := func() string { return rtsp.RedactText(err.Error()) }
	switch {
	case err == nil:
		return true
	case errors.Is(err, errNotFound):
		writeError(w, http.StatusNotFound, "no %s named %q", what, name)
	case errors.Is(err, errConflict):
		writeError(w, http.StatusConflict, "%s %q exists already: use PUT /v1/%s/%s to change it", what, name, section, name)
	case errors.Is(err, conf.ErrFileChanged):
		writeError(w, http.StatusConflict, "%s", msg())
	case errors.Is(err, conf.ErrNotApplied):
		s.log.Warn().Str(what, name).Str("error", msg()).Msg("change refused: it could not be applied")
		writeError(w, http.StatusUnprocessableEntity, "%s", msg())
	case errors.Is(err, conf.ErrNotSaved):
		s.log.Error().Str(what, name).Str("error", msg()).Msg("change undone: it could not be saved")
		writeError(w, http.StatusInternalServerError, "%s", msg())
	default:
		writeError(w, http.StatusBadRequest, "%s", msg())
	}
	return false
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
