package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/camgate/camgate/internal/viewers"
)

// badReaderFrom is the address the intruder connects from: another address
// of this machine (127.0.0.0/8 is all loopback on Linux, no setup needed),
// so that the throttle it trips is not the good readers' (127.0.0.1).
var badReaderFrom = netip.MustParseAddr("127.0.0.2")

// badReaderEvery is the intruder's pace: a guess every 200 ms.
const badReaderEvery = 200 * time.Millisecond

// badReader is an RTSP client that tries wrong passwords in a loop, as a
// password-guessing bot does. It counts how the server answers: a plain
// 401 (a wrong password, counted against its address) or a 401 with
// Retry-After (its address is throttled: not even checked).
type badReader struct {
	server string // host:port of the RTSP server
	stop   chan struct{}
	wg     sync.WaitGroup

	attempts, refused, throttled, other atomic.Int64
	firstThrottled                      atomic.Int64 // the attempt that first met the throttle
	errors                              atomic.Int64 // connections that failed
}

func startBadReader(server net.Addr) *badReader {
	b := &badReader{server: server.String(), stop: make(chan struct{})}
	b.wg.Add(1)
	go b.run()
	return b
}

func (b *badReader) run() {
	defer b.wg.Done()
	tick := time.NewTicker(badReaderEvery)
	defer tick.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-tick.C:
		}
		n := b.attempts.Add(1)
		code, retryAfter, err := b.try(fmt.Sprintf("guess%d", n))
		switch {
		case err != nil:
			b.errors.Add(1)
		case code == 401 && retryAfter:
			b.throttled.Add(1)
			b.firstThrottled.CompareAndSwap(0, n)
		case code == 401:
			b.refused.Add(1)
		default:
			b.other.Add(1) // a 200 here would be a hole
		}
	}
}

// try sends one DESCRIBE with a wrong password over Basic.
func (b *badReader) try(password string) (code int, retryAfter bool, err error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: badReaderFrom.AsSlice()}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", b.server)
	if err != nil {
		return 0, false, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	auth := base64.StdEncoding.EncodeToString([]byte("admin:" + password))
	req := "DESCRIBE rtsp://" + b.server + "/cam01/sub RTSP/1.0\r\nCSeq: 1\r\nAuthorization: Basic " + auth + "\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return 0, false, err
	}
	r := bufio.NewReader(c)
	status, err := r.ReadString('\n')
	if err != nil {
		return 0, false, err
	}
	if f := strings.Fields(status); len(f) >= 2 {
		code, _ = strconv.Atoi(f[1])
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil || line == "\r\n" {
			break
		}
		retryAfter = retryAfter || strings.HasPrefix(strings.ToLower(line), "retry-after:")
	}
	return code, retryAfter, nil
}

func (b *badReader) close() {
	close(b.stop)
	b.wg.Wait()
}

// reportBadReader prints what the intruder met, and returns what is wrong:
// a guess that got in, a throttle that never engaged, or good readers
// caught by it.
func reportBadReader(out io.Writer, b *badReader, auth *viewers.Auth) []string {
	st := auth.Stats()
	thr := auth.Policy().Throttle.WithDefaults()
	fmt.Fprintf(out, "intruder (wrong RTSP passwords from %v, one per %v): %d attempts, %d refused as wrong, %d refused as throttled (first at attempt %d), %d other answers, %d connection errors\n",
		badReaderFrom, badReaderEvery, b.attempts.Load(), b.refused.Load(), b.throttled.Load(), b.firstThrottled.Load(), b.other.Load(), b.errors.Load())
	fmt.Fprintf(out, "login throttle (%d failures in %v: refused for %v): failed logins %d, addresses blocked %d times, throttled requests %d\n",
		thr.Failures, thr.Window, thr.Block, st.Failures, st.Blocks, st.Throttled)
	var fails []string
	if n := b.other.Load(); n > 0 {
		fails = append(fails, fmt.Sprintf("the intruder got %d answers other than 401", n))
	}
	if b.attempts.Load() > int64(thr.Failures) && b.throttled.Load() == 0 {
		fails = append(fails, "the login throttle never engaged against the intruder")
	}
	if f := b.firstThrottled.Load(); f != 0 && f != int64(thr.Failures) {
		fails = append(fails, fmt.Sprintf("the throttle engaged at attempt %d, want %d (the failure that reaches the limit is answered as throttled)", f, thr.Failures))
	}
	if d := auth.Throttled(netip.MustParseAddr("127.0.0.1")); d > 0 {
		fails = append(fails, "the good readers' address is throttled")
	}
	return fails
}
