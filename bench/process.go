package bench

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// clockTick is USER_HZ, the unit of /proc/PID/stat times; 100 on Linux.
const clockTick = 100

// ProcessCPU returns the CPU time (user + system) process pid has used, from
// /proc; "self" is this process.
func ProcessCPU(pid string) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: fields are counted after its ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14 of stat
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return time.Duration(ut+st) * time.Second / clockTick, nil
}

// ProcessMemoryKB returns a process's resident set and proportional set sizes
// in kB; PSS shares the pages of shared libraries and copy-on-write memory
// between the processes that map them, so PSS adds up across processes.
func ProcessMemoryKB(pid string) (rss, pss int, err error) {
	b, err := os.ReadFile("/proc/" + pid + "/smaps_rollup")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "Rss:":
			rss, _ = strconv.Atoi(f[1])
		case "Pss:":
			pss, _ = strconv.Atoi(f[1])
		}
	}
	return rss, pss, nil
}

// ProcessCPUTime returns the CPU time of every thread of this process, read
// with clock_gettime(CLOCK_PROCESS_CPUTIME_ID): nanosecond resolution, where
// getrusage counts in ticks of the scheduler. It counts the threads libav and
// x264 start too.
func ProcessCPUTime() time.Duration {
	const clockProcessCPUTimeID = 2
	var ts syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}
