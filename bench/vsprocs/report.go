package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

func printHeader(o *options, f floors) {
	if o.userClip != "" {
		fmt.Printf("vsprocs: -clip %s re-encoded to %s\n", o.userClip, o.clip)
	}
	fmt.Printf("vsprocs: fake cameras playing %s (%dx%d@%d); outputs per camera: a sub stream %dx%d@%d (512 kbit/s), and one grid of all cameras %dx%d@%d (2 Mbit/s, ceil(sqrt(N)) columns); x264 veryfast, 1 thread per codec\n",
		o.clip, f.width, f.height, o.clipFPS, subWidth, subHeight, subFPS, gridWidth, gridHeight, gridFPS)
	if o.cameraSub {
		fmt.Printf("vsprocs: -camera-sub: each camera also serves its own %dx%d@%d H.264 stream (%s); both sides take the sub output and the grid tiles from it\n",
			subWidth, subHeight, subFPS, o.subClip)
	}
	fmt.Printf("vsprocs: steps %s; each side %v of warm-up, then %v measured; real time: every reader gets >= %.0f%% of its frame rate and nothing is lost\n",
		joinInts(o.steps), o.warmup, o.duration, realTimeShare*100)
	fmt.Println("vsprocs: the fake cameras, the RTSP relay of the ffmpeg side and every reader run in a harness process whose CPU counts for neither side (column harness)")
	fmt.Printf("vsprocs: machine: %s, %d cores\n", cpuModel(), runtime.NumCPU())
	fmt.Printf("vsprocs: decode floor: decoding the clip alone at %d fps takes %.3f cores per camera", o.clipFPS, f.main)
	if o.cameraSub {
		fmt.Printf("; the camera's sub stream at %d fps %.3f", subFPS, f.sub)
	}
	fmt.Println()
	if o.cameraSub {
		fmt.Println("vsprocs: column x floor: cores per camera over the sub stream's decode floor")
	} else {
		fmt.Println("vsprocs: column x floor: cores per camera over the decode floor")
	}
	fmt.Println()
}

func printColumns() {
	fmt.Printf("%4s  %-18s %5s %7s %9s %7s %8s %13s %8s %6s %8s  %s\n",
		"N", "side", "procs", "cores", "cores/cam", "x floor", "PSS MiB", "sub fps min/avg", "grid fps", "lost", "harness", "real time")
}

func printRow(name string, r result, f floors) {
	perCam := r.cores / float64(r.n)
	floor := f.main
	if f.sub > 0 { // -camera-sub: what needs decoding is the camera's sub stream
		floor = f.sub
	}
	rt := "yes"
	if !r.realTime() {
		rt = "NO: " + strings.Join(r.problems, ", ")
	}
	fmt.Printf("%4d  %-18s %5d %7.3f %9.3f %7.1f %8.1f %6.1f/%6.1f %8.1f %6d %8.3f  %s\n",
		r.n, name, r.procs, r.cores, perCam, perCam/floor, r.pssMiB, r.fps.SubMin, r.fps.SubMean, r.fps.Grid, r.lost, r.harnessCores, rt)
}

func printFailure(name string, n int, err error) {
	fmt.Printf("%4d  %-18s failed: %v\n", n, name, err)
}

func printSummary(o *options, sides []side) {
	fmt.Println()
	var best []int
	var bound []bool
	for _, s := range sides {
		n, every := s.sustained()
		best, bound = append(best, n), append(bound, every)
		switch {
		case every:
			fmt.Printf("%-18s kept real time at every step: %d cameras or more\n", s.name, n)
		case n == 0:
			fmt.Printf("%-18s kept real time at no step (stopped %s)\n", s.name, s.stopped)
		default:
			fmt.Printf("%-18s kept real time up to %d cameras (stopped %s)\n", s.name, n, s.stopped)
		}
	}
	if len(best) == 2 && best[0] > 0 && best[1] > 0 {
		note := ""
		switch {
		case bound[0] && bound[1]:
			note = " (both kept up at every step: step further to tell them apart)"
		case bound[0]:
			note = " or more (camgate kept up at every step)"
		case bound[1]:
			note = " or less (process per output kept up at every step)"
		}
		fmt.Printf("cameras kept in real time, camgate / process per output: %d / %d = %.2f%s\n", best[0], best[1], float64(best[0])/float64(best[1]), note)
	}
	fmt.Printf("machine: %s, %d cores\n", cpuModel(), runtime.NumCPU())
}

// cpuModel is the processor's name from /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}
