package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/camgate/camgate/demo"
)

// directWHEP is a minimal WHEP server (RFC 9725: POST an SDP offer, 201 with
// the answer) that sends a ClockSource's pictures straight from the encoder,
// with no camera, RTSP or gateway in between: the floor of what the page can
// measure (encode, WebRTC on loopback, the browser's decode and display), and
// a WHEP server to check the page against while camgate's is not there.
type directWHEP struct {
	src   *demo.ClockSource
	track *webrtc.TrackLocalStaticSample
	api   *webrtc.API
	ln    net.Listener
	srv   *http.Server

	mu  sync.Mutex
	pcs []*webrtc.PeerConnection

	stop chan struct{}
	wg   sync.WaitGroup
}

// startDirectWHEP serves WHEP at http://127.0.0.1:port/clock/whep.
func startDirectWHEP(cfg demo.ClockConfig) (*directWHEP, error) {
	src, err := demo.NewClockSource(cfg)
	if err != nil {
		return nil, err
	}
	w := &directWHEP{src: src, stop: make(chan struct{})}
	w.track, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
	}, "video", "clock")
	if err != nil {
		src.Close()
		return nil, err
	}
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		src.Close()
		return nil, err
	}
	w.api = webrtc.NewAPI(webrtc.WithMediaEngine(m))
	if w.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		src.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /clock/whep", w.offer)
	cors := func(rw http.ResponseWriter, r *http.Request) { // the page is served from another port
		h := rw.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "Location")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type")
			rw.WriteHeader(http.StatusNoContent)
			return
		}
		mux.ServeHTTP(rw, r)
	}
	w.srv = &http.Server{Handler: http.HandlerFunc(cors), ReadHeaderTimeout: 10 * time.Second}
	w.wg.Add(2)
	go func() { defer w.wg.Done(); _ = w.srv.Serve(w.ln) }()
	go w.play(cfg.FPS)
	return w, nil
}

// URL is the WHEP endpoint.
func (w *directWHEP) URL() string { return "http://" + w.ln.Addr().String() + "/clock/whep" }

func (w *directWHEP) play(fps int) {
	defer w.wg.Done()
	if fps <= 0 {
		fps = 25
	}
	period := time.Second / time.Duration(fps)
	tick := time.NewTicker(period)
	defer tick.Stop()
	var buf []byte
	for {
		select {
		case <-w.stop:
			return
		case now := <-tick.C:
			au := w.src.Picture(now)
			buf = buf[:0]
			for _, n := range au {
				buf = append(buf, 0, 0, 0, 1)
				buf = append(buf, n...)
			}
			if len(buf) > 0 {
				_ = w.track.WriteSample(media.Sample{Data: buf, Duration: period})
			}
		}
	}
}

func (w *directWHEP) offer(rw http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "application/sdp" {
		http.Error(rw, "Content-Type must be application/sdp", http.StatusUnsupportedMediaType)
		return
	}
	offer, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	answer, err := w.answer(string(offer))
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	rw.Header().Set("Content-Type", "application/sdp")
	rw.Header().Set("Location", r.URL.Path)
	rw.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(rw, answer)
}

func (w *directWHEP) answer(offer string) (string, error) {
	pc, err := w.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", err
	}
	fail := func(err error) (string, error) { _ = pc.Close(); return "", err }
	sender, err := pc.AddTrack(w.track)
	if err != nil {
		return fail(err)
	}
	go func() { // RTCP must be read for the interceptors; ends with the connection
		b := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(b); err != nil {
				return
			}
		}
	}()
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			w.src.ForceKeyframe() // a new viewer starts with a picture
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(fmt.Errorf("offer: %w", err))
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return fail(err)
	}
	select {
	case <-gathered:
	case <-time.After(10 * time.Second):
		return fail(errors.New("ICE gathering did not complete"))
	}
	w.mu.Lock()
	w.pcs = append(w.pcs, pc)
	w.mu.Unlock()
	return pc.LocalDescription().SDP, nil
}

// Close stops serving and closes the peer connections and the source.
func (w *directWHEP) Close() error {
	select {
	case <-w.stop:
		return nil
	default:
	}
	close(w.stop)
	_ = w.srv.Close()
	w.mu.Lock()
	pcs := w.pcs
	w.pcs = nil
	w.mu.Unlock()
	for _, pc := range pcs {
		_ = pc.Close()
	}
	w.wg.Wait()
	return w.src.Close()
}
