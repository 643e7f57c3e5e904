package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/camgate/camgate/bench"
)

// The harness is a child process of this command that holds everything
// neither side is measured for: the fake cameras, the RTSP relay the ffmpeg
// processes publish to, and the readers of both sides. Its CPU is measured
// and shown apart.
//
// It says "ready <relay address or ->" on its standard output when the
// cameras serve, answers each "count" line on its standard input with the
// readers' counts as one JSON line, and ends when its standard input closes.

// harness is the parent's handle on the harness process.
type harness struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Reader
	relay string // the relay's host:port, if it runs one
}

// startHarness starts the cameras and readers of read: the gateway's
// host:port, or "relay" to run the relay and read from it.
func startHarness(o *options, n int, read string) (*harness, error) {
	args := []string{"-child", read, "-n", strconv.Itoa(n), "-clip", o.clip, "-clip-fps", strconv.Itoa(o.clipFPS), "-port", strconv.Itoa(o.port)}
	if o.subClip != "" {
		args = append(args, "-sub-clip", o.subClip)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	h := &harness{cmd: cmd, in: in, out: bufio.NewReader(out)}
	line, err := h.out.ReadString('\n')
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("harness: %w", err)
	}
	f := strings.Fields(line)
	if len(f) != 2 || f[0] != "ready" {
		h.Close()
		return nil, fmt.Errorf("harness said %q", line)
	}
	if f[1] != "-" {
		h.relay = f[1]
	}
	return h, nil
}

// counts asks the readers what they received so far.
func (h *harness) counts() (counts, error) {
	var c counts
	if _, err := io.WriteString(h.in, "count\n"); err != nil {
		return c, fmt.Errorf("harness: %w", err)
	}
	line, err := h.out.ReadBytes('\n')
	if err != nil {
		return c, fmt.Errorf("harness: %w", err)
	}
	return c, json.Unmarshal(line, &c)
}

// cpu is the CPU time the harness used so far.
func (h *harness) cpu() (time.Duration, error) {
	return bench.ProcessCPU(strconv.Itoa(h.cmd.Process.Pid))
}

// Close ends the harness and waits for it: it stops when its standard input
// closes; killed if it has not within 10 s.
func (h *harness) Close() error {
	h.in.Close()
	done := make(chan error, 1)
	go func() { done <- h.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		h.cmd.Process.Kill()
		return <-done
	}
}

// runHarness is the harness process: read is the gateway's host:port or
// "relay".
func runHarness(o *options, read string) error {
	stop, err := bench.StartFakeCamerasFPS(o.n, o.clip, o.clipFPS, o.port)
	if err != nil {
		return err
	}
	defer stop()
	if o.subClip != "" {
		stopSubs, err := bench.StartFakeCameraSubs(o.n, o.subClip, subFPS, o.port)
		if err != nil {
			return err
		}
		defer stopSubs()
	}
	server, relayAddr := read, "-"
	if read == "relay" {
		r, err := startRelay()
		if err != nil {
			return err
		}
		defer r.Close()
		server, relayAddr = r.Addr(), r.Addr()
	}
	rd, err := startReaders(server, o.n)
	if err != nil {
		return err
	}
	defer rd.Close()
	fmt.Println("ready", relayAddr)
	in := bufio.NewScanner(os.Stdin)
	enc := json.NewEncoder(os.Stdout)
	for in.Scan() {
		if in.Text() == "count" {
			if err := enc.Encode(rd.counts()); err != nil {
				return err
			}
		}
	}
	return nil
}
