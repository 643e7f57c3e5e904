package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camgate/camgate/rtsp/fakecam"
)

// ffmpegReader is Debian's ffmpeg decoding an RTSP path (-f null) and
// Debian's ffprobe listing its packets, both at once, as a viewer's player
// and a recorder would: what they print is what a reader of camgate sees.
type ffmpegReader struct {
	t      *testing.T
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	warnings []string // ffmpeg's lines about timestamps
	packets  []probedPacket
}

// probedPacket is one packet as ffprobe -show_packets reports it, in
// seconds.
type probedPacket struct {
	pts, dts float64
	key      bool
	arrival  time.Time // when ffprobe printed it (line-buffered)
}

// readWithFFmpeg starts both readers of url; they read until stop.
func readWithFFmpeg(t *testing.T, url string) *ffmpegReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &ffmpegReader{t: t, cancel: cancel}
	t.Cleanup(r.stop)
	ff := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-hide_banner", "-v", "warning",
		"-rtsp_transport", "tcp", "-i", url, "-f", "null", "-")
	// stdbuf: ffprobe's lines as they come, not a pipe's buffer later.
	probe := exec.CommandContext(ctx, "stdbuf", "-oL", "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
		"-show_entries", "packet=pts_time,dts_time,flags", "-of", "csv=p=0", url)
	for _, cmd := range []*exec.Cmd{ff, probe} {
		cmd.WaitDelay = 5 * time.Second
	}
	ffOut, err := ff.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	probeOut, err := probe.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var probeErr bytes.Buffer
	probe.Stderr = &probeErr
	if err := ff.Start(); err != nil {
		t.Fatal(err)
	}
	if err := probe.Start(); err != nil {
		ff.Cancel()
		ff.Wait()
		t.Fatal(err)
	}
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		sc := bufio.NewScanner(ffOut)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(strings.ToLower(line), "dts") || strings.Contains(strings.ToLower(line), "pts") {
				r.mu.Lock()
				r.warnings = append(r.warnings, line)
				r.mu.Unlock()
			}
		}
		ff.Wait()
	}()
	go func() {
		defer r.wg.Done()
		sc := bufio.NewScanner(probeOut)
		for sc.Scan() {
			if p, ok := parseProbedPacket(sc.Text()); ok {
				p.arrival = time.Now()
				r.mu.Lock()
				r.packets = append(r.packets, p)
				r.mu.Unlock()
			}
		}
		probe.Wait()
	}()
	return r
}

// parseProbedPacket parses "pts_time,dts_time,flags".
func parseProbedPacket(line string) (probedPacket, bool) {
	f := strings.Split(line, ",")
	if len(f) < 3 {
		return probedPacket{}, false
	}
	pts, err1 := strconv.ParseFloat(f[0], 64)
	dts, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil {
		return probedPacket{}, false
	}
	if err2 != nil {
		dts = pts
	}
	return probedPacket{pts: pts, dts: dts, key: strings.HasPrefix(f[2], "K")}, true
}

func (r *ffmpegReader) stop() {
	r.cancel()
	r.wg.Wait()
}

// waitPackets waits until ffprobe has listed n packets.
func (r *ffmpegReader) waitPackets(n int) {
	r.t.Helper()
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		r.mu.Lock()
		got := len(r.packets)
		r.mu.Unlock()
		if got >= n {
			return
		}
		if time.Since(start) > patience {
			r.t.Fatalf("ffprobe listed %d packets in %v, want %d", got, patience, n)
		}
	}
}

// waitSpan waits until ffprobe has listed packets spanning d of stream
// time: a reader on a busy machine may lag behind camgate.
func (r *ffmpegReader) waitSpan(d float64) {
	r.t.Helper()
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		r.mu.Lock()
		span := 0.0
		if n := len(r.packets); n > 0 {
			span = r.packets[n-1].dts - r.packets[0].dts
		}
		r.mu.Unlock()
		if span >= d {
			return
		}
		if time.Since(start) > patience {
			r.t.Fatalf("ffprobe listed %.1f s of stream in %v, want %.1f s", span, patience, d)
		}
	}
}

func (r *ffmpegReader) result() (warnings []string, packets []probedPacket) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.warnings...), append([]probedPacket(nil), r.packets...)
}

var dtsWarning = regexp.MustCompile(`(?i)non[- ]monoton|invalid dts|out of order|pts < dts|dts > pts`)

// timestampWarnings returns ffmpeg's lines about timestamps that are wrong.
func timestampWarnings(lines []string) []string {
	var bad []string
	for _, l := range lines {
		if dtsWarning.MatchString(l) {
			bad = append(bad, l)
		}
	}
	return bad
}

// TestSubTimestampsAcrossReboots: a reader of the sub stream of a camera
// that reboots again and again sees timestamps that keep real time across
// each outage (a recording shows the outage as a gap) and never repeat or go
// backwards: Debian's ffmpeg prints no DTS warning.
func TestSubTimestampsAcrossReboots(t *testing.T) {
	t.Parallel() // mostly waiting on a reader: it overlaps the other long tests
	cam := startFake(t, loadClip(t, "reschange.h264"), false)
	g := startGateway(t, CameraConfig{Name: "c", URL: cam.URL(), Sub: DefaultSub,
		Backoff: Backoff{Min: 100 * time.Millisecond, Max: 200 * time.Millisecond}})
	c := g.Camera("c")
	waitState(t, c, StateReady, patience)
	r := readWithFFmpeg(t, g.Server().URL("c/sub"))
	r.waitPackets(20)

	const reboots = 4
	var outages []time.Duration
	for i := 0; i < reboots; i++ {
		down := time.Duration(1000+500*i) * time.Millisecond
		cam.Reboot(down)
		lost := time.Now()
		for start := time.Now(); c.Stats().State == StateReady; time.Sleep(5 * time.Millisecond) {
			if time.Since(start) > patience {
				t.Fatal("state still ready long after the camera rebooted")
			}
		}
		waitState(t, c, StateReady, patience)
		outages = append(outages, time.Since(lost))
		_, pk := r.result()
		r.waitPackets(len(pk) + 20)
	}
	r.stop()
	warnings, packets := r.result()
	if bad := timestampWarnings(warnings); len(bad) > 0 {
		t.Errorf("ffmpeg printed %d timestamp warnings across %d reboots:\n%s", len(bad), reboots, strings.Join(bad, "\n"))
	}
	// Steps of 0.1 s (10 fps), never a repeat or a step back, and a gap of
	// about each outage: the largest jumps of the time line, in order. (A
	// busy machine may lose pictures too: a jump then, as long as the time
	// that passed.)
	if bad := unexplainedSteps(packets, 0.1, 0.5); len(bad) > 0 {
		t.Errorf("%d of %d steps are not whole frames or outrun the time that passed:\n%s", len(bad), len(packets), strings.Join(bad[:min(len(bad), 10)], "\n"))
	}
	type jump struct {
		at   int
		size float64
	}
	var jumps []jump
	for i := 1; i < len(packets); i++ {
		if d := packets[i].dts - packets[i-1].dts; d > 0.5 {
			jumps = append(jumps, jump{i, d})
		}
	}
	if len(jumps) < reboots {
		t.Fatalf("%d gaps in the time line (%v), want one per reboot (%d)", len(jumps), jumps, reboots)
	}
	sort.Slice(jumps, func(a, b int) bool { return jumps[a].size > jumps[b].size })
	jumps = jumps[:reboots]
	sort.Slice(jumps, func(a, b int) bool { return jumps[a].at < jumps[b].at })
	t.Logf("%d packets; outages %v; gaps in the reader's time line %v", len(packets), outages, jumps)
	for i, j := range jumps {
		// The camera is down for "down", and camgate sees it gone a little
		// after, and back a little after it is: the gap is the outage the
		// reader lived, give or take the time to reconnect.
		if got, want := j.size, outages[i].Seconds(); got < want-1.0 || got > want+1.0 {
			t.Errorf("reboot %d: gap of %.2f s in the time line, outage %.2f s", i, got, want)
		}
	}
}

// bframeClip encodes a clip as a camera with B-frames sends it: H.264,
// 30 fps, two B-frames, a keyframe every 2 s.
func bframeClip(t *testing.T, seconds int) fakecam.Clip {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bframes.h264")
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi",
		"-i", "testsrc2=size=640x360:rate=30", "-t", strconv.Itoa(seconds),
		"-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "60", "-r", "30", "-f", "h264", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	clip, err := fakecam.LoadClip(path)
	if err != nil {
		t.Fatal(err)
	}
	if clip.Order == nil {
		t.Fatal("the clip has no B-frames")
	}
	return clip
}

// TestBFrameCameraTimestamps: a camera that sends B-frames (H.264, 30 fps,
// two B-frames). Its sub stream, read by Debian's ffmpeg for 20 s, has
// timestamps that never repeat (no DTS warning), one frame interval apart;
// its passthrough main carries the camera's own timing, which a reader
// decodes without a warning either.
func TestBFrameCameraTimestamps(t *testing.T) {
	t.Parallel() // mostly waiting on a reader: it overlaps the other long tests
	cam, err := fakecam.Start(fakecam.Config{Clip: bframeClip(t, 4), FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cam.Close)
	g := startGateway(t, CameraConfig{Name: "b", URL: cam.URL(), Sub: DefaultSub})
	waitState(t, g.Camera("b"), StateReady, patience)
	sub := readWithFFmpeg(t, g.Server().URL("b/sub"))
	main := readWithFFmpeg(t, g.Server().URL("b/main"))
	sub.waitPackets(200) // 20 s at 10 fps
	sub.stop()
	main.stop()

	for name, r := range map[string]*ffmpegReader{"sub": sub, "main": main} {
		warnings, packets := r.result()
		if bad := timestampWarnings(warnings); len(bad) > 0 {
			t.Errorf("%s: ffmpeg printed %d timestamp warnings in %d packets:\n%s", name, len(bad), len(packets), strings.Join(bad[:min(len(bad), 10)], "\n"))
		}
		if len(packets) < 50 {
			t.Errorf("%s: %d packets", name, len(packets))
		}
	}
	_, packets := sub.result()
	if bad := unexplainedSteps(packets, 0.1, 0.5); len(bad) > 0 {
		t.Errorf("sub: %d of %d steps are not whole frames of 1/10 s or outrun the time that passed:\n%s", len(bad), len(packets), strings.Join(bad[:min(len(bad), 10)], "\n"))
	}
	// The main stream: the camera's times, 1/30 s apart in presentation
	// order, decode timestamps rising. ffprobe guesses a decode time from
	// the presentation times it has seen (RTSP carries none), wrongly for
	// the first few pictures, before it has seen a B-frame; the last few,
	// whose B-frames the reader's end cut off, are left out too.
	_, packets = main.result()
	pts := make([]float64, 0, len(packets))
	for i, p := range packets {
		pts = append(pts, p.pts)
		if i > 10 && i < len(packets)-10 && p.dts <= packets[i-1].dts {
			t.Errorf("main: packet %d: dts %.4f after %.4f", i, p.dts, packets[i-1].dts)
		}
	}
	sort.Float64s(pts)
	for i := 10; i < len(pts)-10; i++ {
		// One frame, or whole frames when a busy machine lost some.
		d := pts[i] - pts[i-1]
		frames := d * 30
		if frames < 0.95 || frames-float64(int(frames+0.5)) > 0.05 || frames-float64(int(frames+0.5)) < -0.05 {
			t.Errorf("main: pictures %.4f and %.4f are %.4f s apart in presentation order, want 1/30 s", pts[i-1], pts[i], d)
			break
		}
	}
	reordered := 0
	for i := 1; i < len(packets); i++ {
		if packets[i].pts < packets[i-1].pts {
			reordered++
		}
	}
	if reordered == 0 {
		t.Error("main: no picture shown before the one sent before it: the B-frames' order is lost")
	}
	t.Logf("sub: %d packets; main: %d packets, %d B-frames sent after a later picture", len(sub.packets), len(packets), reordered)
}

// unexplainedSteps returns the steps of dts between successive packets that
// are not a whole number of frame intervals above zero, or that are more
// than two intervals and more than the time that passed between the two
// packets' arrivals (plus slack): a machine too busy to keep up loses
// pictures, and the time line then jumps by the time that really passed,
// never by more.
func unexplainedSteps(packets []probedPacket, interval, slack float64) []string {
	var bad []string
	for i := 1; i < len(packets); i++ {
		a, b := packets[i-1], packets[i]
		d := b.dts - a.dts
		frames := d / interval
		whole := frames - float64(int(frames+0.5))
		// ffprobe prints a packet once the next one has begun (its parser
		// needs it to end the picture): the wait shows one packet early.
		waited := 0.0
		for j := max(i-2, 1); j <= min(i+1, len(packets)-1); j++ {
			waited = max(waited, packets[j].arrival.Sub(packets[j-1].arrival).Seconds())
		}
		switch {
		case d <= 0 || whole > 0.01 || whole < -0.01:
			bad = append(bad, fmt.Sprintf("packet %d: dts %.4f → %.4f (step %.4f s, not whole frames)", i, a.dts, b.dts, d))
		case d > 2*interval+0.001 && d > waited+slack:
			bad = append(bad, fmt.Sprintf("packet %d: dts %.4f → %.4f (step %.4f s, %.3f s of wait around it)", i, a.dts, b.dts, d, waited))
		}
	}
	return bad
}
