package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/camgate/camgate/bench"
)

// ffmpegCommands are the arguments of the process-per-output side's ffmpeg
// processes for n cameras: one per sub stream, then the grid's. Each
// publishes its output to the relay.
func ffmpegCommands(o *options, h *harness) [][]string {
	n, relay := len(h.Cameras), h.relay
	x264 := func(bitrate string, gop int) []string {
		return []string{"-c:v", "libx264", "-threads", "1", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "main",
			"-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate, "-g", strconv.Itoa(gop), "-bf", "0"}
	}
	publish := func(path string) []string {
		return []string{"-f", "rtsp", "-rtsp_transport", "tcp", "rtsp://" + relay + "/" + path}
	}
	input := func(url string) []string {
		return []string{"-threads", "1", "-rtsp_transport", "tcp", "-i", url}
	}
	// What the grid's tiles are made from: the main streams, or with
	// -camera-sub the cameras' own sub streams.
	tileSource := h.Cameras
	if o.cameraSub {
		tileSource = h.Subs
	}
	common := []string{"-nostdin", "-hide_banner", "-v", "warning"}

	var cmds [][]string
	for i := 0; i < n; i++ {
		args := append([]string{}, common...)
		if o.cameraSub { // the camera's sub stream already is the sub output
			args = append(args, input(h.Subs[i])...)
			args = append(args, "-an", "-c:v", "copy")
		} else {
			args = append(args, input(h.Cameras[i])...)
			args = append(args, "-an", "-filter_threads", "1", "-vf", fmt.Sprintf("fps=%d,scale=%d:%d:flags=area", subFPS, subWidth, subHeight))
			args = append(args, x264("512k", 20)...)
		}
		cmds = append(cmds, append(args, publish(fmt.Sprintf("cam%d/sub", i+1))...))
	}

	cols, _, tw, th := gridLayout(n)
	args := append([]string{}, common...)
	var filter, stack, layout []string
	for i := 0; i < n; i++ {
		args = append(args, input(tileSource[i])...)
		filter = append(filter, fmt.Sprintf("[%d:v]fps=%d,scale=%d:%d:flags=area:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2[v%d]",
			i, gridFPS, tw, th, tw, th, i))
		stack = append(stack, fmt.Sprintf("[v%d]", i))
		layout = append(layout, fmt.Sprintf("%d_%d", i%cols*tw, i/cols*th))
	}
	graph := strings.Join(filter, ";") + ";" + strings.Join(stack, "") +
		fmt.Sprintf("xstack=inputs=%d:layout=%s:fill=black,pad=%d:%d:0:0[out]", n, strings.Join(layout, "|"), gridWidth, gridHeight)
	args = append(args, "-an", "-filter_threads", "1", "-filter_complex", graph, "-map", "[out]")
	args = append(args, x264("2M", 30)...)
	return append(cmds, append(args, publish("grid/all")...))
}

// ffmpegProc is one running ffmpeg, whose warning and error lines are
// counted.
type ffmpegProc struct {
	cmd *exec.Cmd

	mu    sync.Mutex
	lines int
	last  string
	done  chan struct{} // stderr read to its end
}

func startFFmpeg(program string, args []string) (*ffmpegProc, error) {
	p := &ffmpegProc{cmd: exec.Command(program, args...), done: make(chan struct{})}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go p.count(stderr)
	return p, nil
}

func (p *ffmpegProc) count(r io.Reader) {
	defer close(p.done)
	s := bufio.NewScanner(r)
	for s.Scan() {
		p.mu.Lock()
		p.lines++
		p.last = s.Text()
		p.mu.Unlock()
	}
}

// messages returns the lines ffmpeg logged so far and the last one.
func (p *ffmpegProc) messages() (int, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lines, p.last
}

func (p *ffmpegProc) pid() string { return strconv.Itoa(p.cmd.Process.Pid) }

// stop kills the process and waits for it.
func (p *ffmpegProc) stop() {
	p.cmd.Process.Kill()
	<-p.done
	p.cmd.Wait()
}

// measureFFmpeg runs the ffmpeg processes, publishing to the harness's
// relay, whose readers count what they get.
func measureFFmpeg(o *options, n int) (result, error) {
	program, err := o.ffmpegProgram()
	if err != nil {
		return result{}, err
	}
	h, err := startHarness(o, n)
	if err != nil {
		return result{}, err
	}
	defer h.Close()
	if err := h.read("relay"); err != nil {
		return result{}, err
	}
	var procs []*ffmpegProc
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	for _, args := range ffmpegCommands(o, h) {
		p, err := startFFmpeg(program, args)
		if err != nil {
			return result{}, err
		}
		procs = append(procs, p)
	}
	if err := warmUp(o, h); err != nil {
		return result{}, err
	}

	sum := func() (cpu time.Duration, lines int, err error) {
		for _, p := range procs {
			select {
			case <-p.done: // its standard error closed: it ended
				_, last := p.messages()
				args := p.cmd.Args
				return 0, 0, fmt.Errorf("ffmpeg %s (publishing %s) ended early: %s", p.pid(), args[len(args)-1], last)
			default:
			}
			c, err := bench.ProcessCPU(p.pid())
			if err != nil {
				return 0, 0, err
			}
			l, _ := p.messages()
			cpu, lines = cpu+c, lines+l
		}
		return cpu, lines, nil
	}
	w, err := startWindow(h)
	if err != nil {
		return result{}, err
	}
	cpu0, lines0, err := sum()
	if err != nil {
		return result{}, err
	}
	t0 := time.Now()
	time.Sleep(o.duration)
	cpu1, lines1, err := sum()
	if err != nil {
		return result{}, err
	}
	t1 := time.Now()
	r := result{procs: len(procs), cores: (cpu1 - cpu0).Seconds() / t1.Sub(t0).Seconds(), lost: lines1 - lines0}
	if err := w.end(&r); err != nil {
		return r, err
	}
	pss := 0
	for _, p := range procs {
		_, v, err := bench.ProcessMemoryKB(p.pid())
		if err != nil {
			return r, err
		}
		pss += v
	}
	r.pssMiB = float64(pss) / 1024
	if r.lost > 0 {
		for _, p := range procs {
			if l, last := p.messages(); l > 0 {
				fmt.Fprintf(os.Stderr, "vsprocs: ffmpeg %s at %d cameras: %s\n", p.pid(), n, last)
				break
			}
		}
	}
	return r, nil
}
