package hls

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/stream"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The test clients' idle keep-alive connections, closed by the servers.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"))
}

// limit bounds every wait of these tests: they poll conditions, never sleep
// for a figure that merely happens to be long enough.
const limit = 60 * time.Second

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// publishClip publishes clip (a testdata file) at path as camgate publishes
// a transcoded output, and writes its access units at real-time pace (25
// fps, looped, timestamps always growing) until the test ends.
func publishClip(t *testing.T, hub *stream.Hub, path, clip string) (*stream.Stream, stream.Description) {
	t.Helper()
	aus, c, err := codec.ReadAnnexBFile("../testdata/" + clip)
	if err != nil {
		t.Fatal(err)
	}
	params := codec.FromList(c, aus[0])
	w, h := params.PictureSize(c)
	desc := stream.H264Description(params, w, h)
	if c == codec.H265 {
		desc.Video.Codec = codec.H265
		desc.Tracks[0].Codec = "H265"
		desc.Key = "test-h265"
	}
	st, err := hub.Publish(path, stream.PublishOptions{Description: &desc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		const frame = 40 * time.Millisecond
		start := time.Now()
		for i := 0; ; i++ {
			au := aus[i%len(aus)]
			st.Write(stream.Unit{Kind: stream.Video, PTS: time.Duration(i) * frame, Keyframe: codec.IsKeyframe(c, au), Data: au})
			next := start.Add(time.Duration(i+1) * frame)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(next)):
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		st.Close()
	})
	return st, desc
}

func newTestServer(t *testing.T, hub *stream.Hub, mod func(*Config)) *Server {
	t.Helper()
	cfg := Config{Address: "127.0.0.1:0", Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)}
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewServer(cfg, hub)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		http.DefaultClient.CloseIdleConnections()
	})
	return s
}

func get(t *testing.T, url string, set func(*http.Request)) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if set != nil {
		set(req)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: body: %v", url, err)
	}
	return res.StatusCode, res.Header, string(b)
}

// need skips nothing: the external clients are part of the test suite, and
// scripts/test-deps.sh installs them.
func need(t *testing.T, prog string) {
	t.Helper()
	if _, err := exec.LookPath(prog); err != nil {
		t.Fatalf("%s is not installed: run scripts/test-deps.sh (Debian's ffmpeg and GStreamer packages)", prog)
	}
}

// mediaPlaylistURL reads the multivariant playlist and returns its first
// media playlist's URL.
func mediaPlaylistURL(t *testing.T, index string) string {
	t.Helper()
	code, _, body := get(t, index, nil)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", index, code, body)
	}
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			return index[:strings.LastIndexByte(index, '/')+1] + line
		}
	}
	t.Fatalf("no media playlist in %s:\n%s", index, body)
	return ""
}
