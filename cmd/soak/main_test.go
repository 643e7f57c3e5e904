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
