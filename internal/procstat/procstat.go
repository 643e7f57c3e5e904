// Package procstat reads what a long-running process must not pile up: open
// file descriptors, goroutines, OS threads and resident memory. The soak
// harness, the leak tests and the benchmarks share it.
package procstat

import (
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Stats is one sample of this process.
type Stats struct {
	FDs, Goroutines, Threads int
	RSSKB                    int
}

// Sample reads the current values from /proc/self.
func Sample() Stats {
	s := Stats{Goroutines: runtime.NumGoroutine()}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		s.FDs = len(ents)
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			switch f[0] {
			case "Threads:":
				s.Threads, _ = strconv.Atoi(f[1])
			case "VmRSS:":
				s.RSSKB, _ = strconv.Atoi(f[1])
			}
		}
	}
	return s
}
