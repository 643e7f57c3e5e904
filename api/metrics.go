package api

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/camgate/camgate/pipeline"
)

// collector reads the gateway's counters at scrape time: nothing is
// instrumented per frame. Labels are camera and path names only, never URLs.
type collector struct {
	gw *pipeline.Gateway

	bytesIn, framesIn, decoded, decodeErrs, drops, reconnects, lost *prometheus.Desc
	bitrateIn, fpsIn, lastFrame, state                              *prometheus.Desc
	outBytes, outFrames, outReaders, outFPS, outBitrate, outDrops   *prometheus.Desc
	gridLive, camPanics, gridPanics                                 *prometheus.Desc
	authFailures, authThrottled, authBlocks                         *prometheus.Desc
}

func newCollector(gw *pipeline.Gateway) *collector {
	cam := []string{"camera"}
	out := []string{"path"}
	d := func(name, help string, labels []string) *prometheus.Desc {
		return prometheus.NewDesc("camgate_"+name, help, labels, nil)
	}
	c := &collector{
		gw:         gw,
		bytesIn:    d("camera_received_bytes_total", "RTP bytes received from the camera.", cam),
		framesIn:   d("camera_frames_total", "Video access units received from the camera.", cam),
		decoded:    d("camera_decoded_frames_total", "Pictures decoded (once per camera, shared by every output).", cam),
		decodeErrs: d("camera_decode_errors_total", "Damaged packets or pictures.", cam),
		drops:      d("camera_queue_drops_total", "Access units dropped because decoding fell behind.", cam),
		reconnects: d("camera_reconnects_total", "Sessions that ended and were started again.", cam),
		lost:       d("camera_packets_lost_total", "RTP packets lost on the way from the camera.", cam),
		bitrateIn:  d("camera_bitrate_bits", "Bitrate from the camera over the last 10 s, bit/s.", cam),
		fpsIn:      d("camera_fps", "Frames per second from the camera over the last 10 s.", cam),
		lastFrame:  d("camera_last_frame_age_seconds", "Time since the last video access unit; -1 if none yet.", cam),
		state:      d("camera_state", "1 for the camera's current state.", []string{"camera", "state"}),
		outBytes:   d("output_sent_bytes_total", "Bytes sent to the readers of a stream.", out),
		outFrames:  d("output_frames_total", "Pictures encoded for a stream.", out),
		outReaders: d("output_readers", "Readers playing a stream.", out),
		outFPS:     d("output_fps", "Pictures per second encoded for a stream over the last 10 s.", out),
		outBitrate: d("output_bitrate_bits", "Bitrate sent to a stream's readers over the last 10 s, bit/s.", out),
		outDrops:   d("output_reader_drops_total", "Units a stream's slow readers lost; each such reader skips to the next keyframe.", out),
		gridLive:   d("grid_live_tiles", "Tiles of a grid showing a live picture.", []string{"grid"}),
		camPanics:  d("camera_panics_total", "Panics recovered in a camera's goroutines; each restarted the camera.", cam),
		gridPanics: d("grid_panics_total", "Panics recovered in a grid's compositor; each restarted the grid.", []string{"grid"}),
	}
	// The readers' logins, every protocol (one throttle guards them all).
	c.authFailures = d("auth_failures_total", "Readers' logins refused for wrong credentials (RTSP, WebRTC, HLS).", nil)
	c.authThrottled = d("auth_throttled_total", "Readers' requests refused because their address failed to log in too often.", nil)
	c.authBlocks = d("auth_blocks_total", "Times an address became refused for too many failed logins.", nil)
	return c
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.bytesIn, c.framesIn, c.decoded, c.decodeErrs, c.drops, c.reconnects, c.lost,
		c.bitrateIn, c.fpsIn, c.lastFrame, c.state, c.outBytes, c.outFrames, c.outReaders, c.outFPS, c.outBitrate, c.outDrops, c.gridLive, c.camPanics, c.gridPanics,
		c.authFailures, c.authThrottled, c.authBlocks} {
		ch <- d
	}
}

var states = []pipeline.State{pipeline.StateConnecting, pipeline.StateReady, pipeline.StateStalled, pipeline.StateFailed, pipeline.StateBackoff, pipeline.StateStopped}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	output := func(o pipeline.OutputStats) {
		counter(c.outBytes, o.BytesOut, o.Path)
		counter(c.outFrames, o.Frames, o.Path)
		gauge(c.outReaders, float64(o.Readers), o.Path)
		gauge(c.outFPS, o.FPS, o.Path)
		gauge(c.outBitrate, o.Bitrate10s, o.Path)
		counter(c.outDrops, o.Drops, o.Path)
	}
	camPanics, gridPanics := c.gw.Panics()
	for _, cam := range c.gw.Cameras() {
		s := cam.Stats()
		n := s.Name
		counter(c.camPanics, camPanics[n], n)
		counter(c.bytesIn, s.BytesIn, n)
		counter(c.framesIn, s.FramesIn, n)
		counter(c.decoded, s.Decoded, n)
		counter(c.decodeErrs, s.DecodeErrors, n)
		counter(c.drops, s.QueueDrops, n)
		counter(c.reconnects, s.Reconnects, n)
		counter(c.lost, s.PacketsLost, n)
		gauge(c.bitrateIn, s.Bitrate10s, n)
		gauge(c.fpsIn, s.FPSIn, n)
		age := float64(s.LastFrameMs) / 1000
		if s.LastFrameMs < 0 {
			age = -1
		}
		gauge(c.lastFrame, age, n)
		for _, st := range states {
			v := 0.0
			if st == s.State {
				v = 1
			}
			gauge(c.state, v, n, st.String())
		}
		if s.Main != nil {
			counter(c.outBytes, s.Main.BytesOut, s.Main.Path)
			gauge(c.outReaders, float64(s.Main.Readers), s.Main.Path)
			counter(c.outDrops, s.Main.Drops, s.Main.Path)
		}
		for _, o := range s.Outputs {
			output(o)
		}
	}
	for _, g := range c.gw.Grids() {
		s := g.Stats()
		output(s.Output)
		gauge(c.gridLive, float64(s.LiveTiles), s.Name)
		counter(c.gridPanics, gridPanics[s.Name], s.Name)
	}
	a := c.gw.Server().Auth().Stats()
	counter(c.authFailures, a.Failures)
	counter(c.authThrottled, a.Throttled)
	counter(c.authBlocks, a.Blocks)
}
