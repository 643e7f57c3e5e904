package main

import (
	"runtime"
	"runtime/pprof"

	"github.com/camgate/camgate/internal/procstat"
)

// resources is one sample of what a long-running gateway must not pile up.
type resources struct {
	FDs, Goroutines, Threads int
	RSSKB, HeapKB            int

	// GoThreads are the OS threads Go's runtime made (of Threads). The
	// others are libav's and x264's, made and ended by codecs.
	GoThreads int
}

func sample() resources {
	p := procstat.Sample()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return resources{
		FDs: p.FDs, Goroutines: p.Goroutines, Threads: p.Threads, RSSKB: p.RSSKB, HeapKB: int(ms.HeapInuse / 1024),
		GoThreads: pprof.Lookup("threadcreate").Count(),
	}
}
