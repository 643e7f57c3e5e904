package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/camgate/camgate/bench"
	"github.com/camgate/camgate/conf"
)

// TestBenchCommand runs `camgate bench` on a small matrix and checks every
// output it promises: the table with the front marked, a recommendation whose
// snippet is a valid configuration, CSV, JSON and the SVG chart.
func TestBenchCommand(t *testing.T) {
	dir := t.TempDir()
	csvPath, jsonPath, chartPath := filepath.Join(dir, "r.csv"), filepath.Join(dir, "r.json"), filepath.Join(dir, "c.svg")
	var out, errb bytes.Buffer
	code := run([]string{"bench", "-loops", "1", "-preset", "ultrafast,veryfast", "-rate", "crf23,60k", "-size", "320x180",
		"-goal", "quality", "-min-psnr", "36", "-csv", csvPath, "-json", jsonPath, "-chart", chartPath}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	t.Logf("\n%s", out.String())
	stdout := out.String()
	for _, want := range []string{"cams/machine", "PSNR dB", "ultrafast crf23 320x180@10", "veryfast 60k 320x180@10",
		"recommended (most cameras with PSNR ≥ 36.0 dB)", "# camgate.yml\ndefaults:\n  sub:\n    size: 320x180",
		"tile 256x144 through 320x180 against direct: PSNR mean", "camgate scales such tiles from the camera's picture"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !strings.Contains(errb.String(), "[4/4]") {
		t.Errorf("no progress on stderr: %s", errb.String())
	}
	snippet := stdout[strings.Index(stdout, "defaults:"):]
	if _, err := conf.Parse([]byte(snippet + "cameras:\n  a:\n    url: rtsp://127.0.0.1/a\n")); err != nil {
		t.Errorf("the recommended snippet is not a valid configuration: %v\n%s", err, snippet)
	}

	var rep bench.Report
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 4 || rep.FPS != 25 || rep.Frames != 100 {
		t.Fatalf("JSON: %d results, %d frames at %d fps", len(rep.Results), rep.Frames, rep.FPS)
	}
	front := 0
	for i, r := range rep.Results {
		if len(r.FramePSNR) != r.OutFrames || r.OutFrames != 40 {
			t.Errorf("%s: %d per-picture PSNR values for %d pictures", r.Label, len(r.FramePSNR), r.OutFrames)
		}
		if i > 0 && r.PSNR > rep.Results[i-1].PSNR {
			t.Errorf("not sorted by quality: %s %.2f after %.2f", r.Label, r.PSNR, rep.Results[i-1].PSNR)
		}
		if r.Pareto {
			front++
		}
	}
	// The best quality is always on the front; so is the most cameras.
	if front == 0 || !rep.Results[0].Pareto {
		t.Errorf("front: %d points, best quality on it: %v", front, rep.Results[0].Pareto)
	}
	marked := 0
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "* ") {
			marked++
		}
	}
	if marked != front {
		t.Errorf("the table marks a different front than the JSON's %d points:\n%s", front, stdout)
	}
	c, _ := os.ReadFile(csvPath)
	if lines := strings.Count(string(c), "\n"); lines != 5 {
		t.Errorf("CSV: %d lines, want a header and 4 rows", lines)
	}
	svg, _ := os.ReadFile(chartPath)
	if !strings.HasPrefix(string(svg), "<svg") || strings.Count(string(svg), "<title>") != 4 || !strings.Contains(string(svg), "Pareto front") {
		t.Errorf("chart: %d points\n%.300s", strings.Count(string(svg), "<title>"), svg)
	}

	var e2 bytes.Buffer
	if code := run([]string{"bench", "-preset", "warp"}, &out, &e2); code != 1 || !strings.Contains(e2.String(), `preset "warp"`) {
		t.Errorf("bad preset: exit %d, %s", code, e2.String())
	}
	e2.Reset()
	if code := run([]string{"bench", "-goal", "speed"}, &out, &e2); code != 1 || !strings.Contains(e2.String(), "unknown goal") {
		t.Errorf("bad goal: exit %d, %s", code, e2.String())
	}
}
