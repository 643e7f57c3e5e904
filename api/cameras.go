package api

import (
	"net/http"
	"strconv"

	"github.com/camgate/camgate/pipeline"
	"github.com/camgate/camgate/rtsp"
)

// cameraView is a camera as the API shows it: its configuration, password
// redacted, its state and counters, and the URLs of its streams.
type cameraView struct {
	pipeline.CameraStats
	Config cameraConfigView  `json:"config"`
	URLs   map[string]string `json:"urls"`
	// Live are the browser URLs (WebRTC, HLS) of main and sub.
	Live map[string]*liveURLs `json:"live,omitempty"`
}

type cameraConfigView struct {
	URL          string                 `json:"url"`
	SubURL       string                 `json:"sub_url,omitempty"`
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

func (s *Server) cameraView(r *http.Request, c *pipeline.Camera) cameraView {
	cfg := c.Config()
	v := cameraView{CameraStats: c.Stats(), URLs: map[string]string{}}
	v.LastError = publicLastError(v.CameraStats)
	if ss := v.SubStream; ss != nil {
		cp := *ss // Stats' copy, but keep the camera's own untouched
		cp.LastError = publicError(ss.LastError, ss.URL, ss.FramesIn)
		v.SubStream = &cp
	}
	v.Config = cameraConfigView{
		URL: rtsp.Redact(cfg.URL), Transport: cfg.Transport.String(), StallTimeout: cfg.StallTimeout.String(),
		Main: "passthrough", Decoder: cfg.Decoder,
		Backoff: map[string]string{"min": cfg.Backoff.Min.String(), "max": cfg.Backoff.Max.String()},
	}
	if cfg.SubURL != "" {
		v.Config.SubURL = rtsp.Redact(cfg.SubURL)
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
	if main := s.liveURLs(r, cfg.Name+"/main"); main != nil {
		v.Live = map[string]*liveURLs{"main": main}
		if cfg.Sub.Enabled {
			v.Live["sub"] = s.liveURLs(r, cfg.Name+"/sub")
		}
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
