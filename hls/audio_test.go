package hls

import (
	"context"
	"encoding/json"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/camgate/camgate/codec"
	"github.com/camgate/camgate/stream"
)

// A relayed camera's AAC track (units of AAC access units, its config in
// the description) goes into the HLS stream beside the video: ffprobe sees
// both, ffmpeg decodes both without an error.
func TestAACAudio(t *testing.T) {
	need(t, "ffmpeg")
	need(t, "ffprobe")
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	// 8 s of real AAC-LC, 48 kHz mono, from Debian's ffmpeg (the repo has
	// no audio clip).
	adts, err := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=8",
		"-c:a", "aac", "-ac", "1", "-f", "adts", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg making AAC: %v", err)
	}
	var pkts mpeg4audio.ADTSPackets
	if err := pkts.Unmarshal(adts); err != nil || len(pkts) == 0 {
		t.Fatalf("ADTS: %v", err)
	}
	conf := mpeg4audio.AudioSpecificConfig{Type: pkts[0].Type, SampleRate: pkts[0].SampleRate, ChannelConfig: pkts[0].ChannelConfig}
	confBytes, err := conf.Marshal()
	if err != nil {
		t.Fatal(err)
	}

	aus, c, err := codec.ReadAnnexBFile("../testdata/cam1080p25.h264")
	if err != nil {
		t.Fatal(err)
	}
	params := codec.FromList(c, aus[0])
	desc := stream.H264Description(params, 1920, 1080)
	desc.Tracks = append(desc.Tracks, stream.Track{Kind: stream.Audio, Codec: "MPEG-4 Audio", ClockRate: conf.SampleRate, Config: confBytes})
	desc.Key = "video+aac"
	hub := stream.NewHub()
	defer hub.Close()
	st, err := hub.Publish("cam1/main", stream.PublishOptions{Description: &desc})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// Video at 25 fps, audio in units of 2 AUs (as an RTP packet may carry),
	// both on one clock, in time order.
	wctx, wcancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		type ev struct {
			pts time.Duration
			u   stream.Unit
		}
		auDur := time.Duration(mpeg4audio.SamplesPerAccessUnit) * time.Second / time.Duration(conf.SampleRate)
		start := time.Now()
		var vi, ai int
		for loop := 0; ; loop++ {
			var evs []ev
			base := time.Duration(loop) * 4 * time.Second
			for ; time.Duration(vi)*40*time.Millisecond < base+4*time.Second; vi++ {
				au := aus[vi%len(aus)]
				p := time.Duration(vi) * 40 * time.Millisecond
				evs = append(evs, ev{p, stream.Unit{Kind: stream.Video, PTS: p, Keyframe: codec.IsKeyframe(c, au), Data: au}})
			}
			for ; time.Duration(ai)*auDur < base+4*time.Second; ai += 2 {
				p := time.Duration(ai) * auDur
				data := [][]byte{pkts[ai%len(pkts)].AU, pkts[(ai+1)%len(pkts)].AU}
				evs = append(evs, ev{p, stream.Unit{Track: 1, Kind: stream.Audio, PTS: p, Data: data}})
			}
			sort.SliceStable(evs, func(i, j int) bool { return evs[i].pts < evs[j].pts })
			for _, e := range evs {
				select {
				case <-wctx.Done():
					return
				case <-time.After(time.Until(start.Add(e.pts))):
				}
				st.Write(e.u)
			}
		}
	}()
	defer func() { wcancel(); wg.Wait() }()

	s := newTestServer(t, hub, nil)
	url := s.URL("cam1/main")
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-show_streams", "-of", "json", url).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var probe struct {
		Streams []struct {
			CodecName  string `json:"codec_name"`
			SampleRate string `json:"sample_rate"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &probe); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range probe.Streams {
		got = append(got, st.CodecName+" "+st.SampleRate)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "aac 48000,h264 " {
		t.Fatalf("ffprobe streams: %q, want h264 and aac 48000", got)
	}
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-i", url, "-map", "0", "-t", "5", "-f", "null", "-")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || strings.TrimSpace(stderr.String()) != "" {
		t.Fatalf("ffmpeg decoding video and audio: %v\n%s", err, stderr.String())
	}
}
