package main

import (
	"os"
	"runtime"
	"strconv"
	"strings"
)

// resources is one sample of what a long-running gateway must not pile up.
type resources struct {
	FDs, Goroutines, Threads int
	RSSKB, HeapKB            int
}

func sample() resources {
	r := resources{Goroutines: runtime.NumGoroutine()}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		r.FDs = len(ents)
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			switch f[0] {
			case "Threads:":
				r.Threads, _ = strconv.Atoi(f[1])
			case "VmRSS:":
				r.RSSKB, _ = strconv.Atoi(f[1])
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.HeapKB = int(ms.HeapInuse / 1024)
	return r
}
