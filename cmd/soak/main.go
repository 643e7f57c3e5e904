// Command soak is camgate's reliability proof: it runs a gateway with many
// fake cameras, every output read, and injects the faults cameras and viewers
// cause in real life, at random with a printed seed, while it samples the
// process's resources. It reports faults survived, recovery times per kind
// and resource growth, and exits non-zero on any leak, any stream that does
// not recover in time, or any timestamp that goes backwards.
//
//	go run ./cmd/soak                                # 2 minutes, 16 cameras
//	go run ./cmd/soak -duration 30m -csv soak.csv -svg soak.svg   # a long run
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/camgate/camgate/transcode"
)

func main() {
	// RSS must not follow the number of OS threads: see LimitMallocArenas.
	transcode.LimitMallocArenas(2)
	cfg := config{}
	flag.IntVar(&cfg.Cameras, "cameras", 16, "fake cameras (320x180, 25 fps)")
	flag.DurationVar(&cfg.Duration, "duration", 2*time.Minute, "length of the run")
	flag.DurationVar(&cfg.Warmup, "warmup", 20*time.Second, "faults before the reference sample of resources")
	flag.DurationVar(&cfg.Interval, "interval", 350*time.Millisecond, "time between two faults")
	flag.Int64Var(&cfg.Seed, "seed", time.Now().UnixNano()%1_000_000, "random seed, to repeat a run")
	flag.DurationVar(&cfg.Stall, "stall", 2*time.Second, "the cameras' stall_timeout")
	flag.DurationVar(&cfg.BackoffMax, "backoff-max", 2*time.Second, "the cameras' backoff cap")
	flag.StringVar(&cfg.CSV, "csv", "", "write a resource sample per second to this CSV file")
	flag.StringVar(&cfg.SVG, "svg", "", "draw fds, goroutines and RSS over time into this SVG file")
	redraw := flag.String("chart-from", "", "only draw the -svg chart from a CSV file of an earlier run")
	flag.Parse()
	if *redraw != "" {
		if err := chartFromCSV(*redraw, cfg.SVG); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			os.Exit(1)
		}
		return
	}
	transcode.SetLogHandler(transcode.LogError, nil)
	res, err := run(cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	if !report(os.Stdout, cfg, res) {
		os.Exit(1)
	}
}
