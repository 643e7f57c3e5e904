package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/camgate/camgate/transcode"
)

// TestShortSoak is the soak CI runs: 16 cameras for 2 minutes and at least 300
// faults of every kind. The seed is random and printed; SOAK_SEED repeats a
// run.
func TestShortSoak(t *testing.T) {
	transcode.SetLogHandler(transcode.LogError, nil)
	seed := time.Now().UnixNano() % 1_000_000
	if s, err := strconv.ParseInt(os.Getenv("SOAK_SEED"), 10, 64); err == nil {
		seed = s
	}
	cfg := config{
		Cameras: 16, Duration: 2 * time.Minute, Warmup: 20 * time.Second, Interval: 280 * time.Millisecond,
		Seed: seed, Stall: 2 * time.Second, BackoffMax: 2 * time.Second,
	}
	var out bytes.Buffer
	res, err := run(cfg, &out)
	if err != nil {
		t.Fatalf("seed %d: %v\n%s", seed, err, out.String())
	}
	pass := report(&out, cfg, res)
	t.Log("\n" + out.String())
	if !pass {
		t.Fatalf("soak failed (repeat with SOAK_SEED=%d)", seed)
	}
	if len(res.faults) < 300 {
		t.Errorf("%d faults, want at least 300", len(res.faults))
	}
	for k := faultKind(0); k < numFaultKinds; k++ {
		if !strings.Contains(out.String(), k.String()) {
			t.Errorf("no %s fault", k)
		}
	}
}

func TestChart(t *testing.T) {
	var pts []point
	for i := 0; i < 60; i++ {
		pts = append(pts, point{float64(i), resources{FDs: 100, Goroutines: 600 + i%3, RSSKB: 100_000 + i*10}})
	}
	var b bytes.Buffer
	if err := writeSVG(&b, pts, "test"); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	if !strings.HasPrefix(svg, "<svg") || strings.Count(svg, "<path") != 3 || !strings.Contains(svg, "open fds: 100 → 100") {
		t.Errorf("chart:\n%s", svg)
	}
	if err := writeSVG(&b, pts[:1], "one"); err == nil {
		t.Error("a chart of one sample was drawn")
	}
}
