package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/camgate/camgate/bench"
)

// The harness is a child process of this command that holds everything
// neither side is measured for: the fake cameras, the RTSP relay the ffmpeg
// processes publish to, and the readers of both sides. Its CPU is measured
// and shown apart.
//
// It says where its cameras are (a JSON line of cameraURLs) on its standard
// output once they serve. On its standard input it is then told "read
// <host:port>" (a gateway) or "read relay" (run the relay and read from it),
// to which it answers "reading <relay's host:port or ->", and "count", to
// which it answers with the readers' counts as one JSON line. It ends when
// its standard input closes.

// cameraURLs are where the harness's cameras are.
type cameraURLs struct {
	Cameras []string `json:"cameras"`
	Subs    []string `json:"subs,omitempty"` // their own sub streams, with -camera-sub
}

// harness is the parent's handle on the harness process.
type harness struct {
	cameraURLs
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Reader
	relay string // the relay's host:port, if it runs one
}

// startHarness starts n cameras.
func startHarness(o *options, n int) (*harness, error) {
	args := []string{"-child", "harness", "-n", strconv.Itoa(n), "-clip", o.clip, "-clip-fps", strconv.Itoa(o.clipFPS), "-port", strconv.Itoa(o.port)}
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
	line, err := h.out.ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &h.cameraURLs)
	}
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("harness: %w", err)
	}
	return h, nil
}

// read starts the readers of server, a gateway's host:port, or "relay" to
// run the relay and read from it.
func (h *harness) read(server string) error {
	if _, err := io.WriteString(h.in, "read "+server+"\n"); err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	line, err := h.out.ReadString('\n')
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	f := strings.Fields(line)
	if len(f) != 2 || f[0] != "reading" {
		return fmt.Errorf("harness said %q", line)
	}
	if f[1] != "-" {
		h.relay = f[1]
	}
	return nil
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

// Packets dropped in the harness: by the fake cameras to a reader (camgate's
// sources, the ffmpeg processes) that did not take them in time, and by the
// relay to the harness's own readers.
var cameraDrops, relayDrops atomic.Int64

// cameraLog takes what the fake cameras' RTSP servers log: they log each
// packet a session's full write queue drops ("write queue is full"), which
// is counted; anything else goes to standard error.
type cameraLog struct{}

func (cameraLog) Write(b []byte) (int, error) {
	if bytes.Contains(b, []byte("write queue is full")) {
		cameraDrops.Add(1)
		return len(b), nil
	}
	return os.Stderr.Write(b)
}

// runHarness is the harness process.
func runHarness(o *options) error {
	log.SetFlags(0)
	log.SetOutput(cameraLog{})
	var where cameraURLs
	var err error
	var stop func()
	if where.Cameras, stop, err = bench.StartFakeCamerasAt(o.n, o.clip, o.clipFPS, o.port, false); err != nil {
		return err
	}
	defer stop()
	if o.subClip != "" {
		if where.Subs, stop, err = bench.StartFakeCamerasAt(o.n, o.subClip, subFPS, o.port, true); err != nil {
			return err
		}
		defer stop()
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(where); err != nil {
		return err
	}
	var rd *readers
	defer func() {
		if rd != nil {
			rd.Close()
		}
	}()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		cmd, arg, _ := strings.Cut(in.Text(), " ")
		switch {
		case cmd == "read" && rd == nil:
			server, relayAddr := arg, "-"
			if arg == "relay" {
				r, err := startRelay()
				if err != nil {
					return err
				}
				defer r.Close()
				server, relayAddr = r.Addr(), r.Addr()
			}
			if rd, err = startReaders(server, o.n); err != nil {
				return err
			}
			fmt.Println("reading", relayAddr)
		case cmd == "count" && rd != nil:
			if err := enc.Encode(rd.counts()); err != nil {
				return err
			}
		default:
			return fmt.Errorf("harness: %q?", in.Text())
		}
	}
	return nil
}
