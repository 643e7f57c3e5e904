package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/camgate/camgate/transcode"
)

// commit is set at build time with -ldflags "-X main.commit=…" (make release).
var commit = ""

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("camgate version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// The configure flags are always printed now (a distributed binary must say
	// how its GPL parts were built); -v stays accepted for older scripts.
	fs.Bool("v", false, "accepted for compatibility; the configure flags are always printed")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	v := transcode.LibraryVersions()
	build := []string{runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}
	if commit != "" {
		build = append([]string{"commit " + commit}, build...)
	}
	fmt.Fprintf(stdout, "camgate %s (%s)\n", version, strings.Join(build, ", "))
	fmt.Fprintf(stdout, "libav   FFmpeg %s (libavcodec %s)\n", v.FFmpeg, v.LibavCodec)
	x264 := fmt.Sprintf("build %d", v.X264Build)
	if v.X264Version != "" {
		x264 += " (" + v.X264Version + ")"
	}
	fmt.Fprintf(stdout, "x264    %s\n", x264)
	fmt.Fprintf(stdout, "license camgate's own code: MIT. This binary also links x264 (GPL-2.0-or-later)\n"+
		"        and FFmpeg built with --enable-gpl, so the binary as a whole is distributed\n"+
		"        under the GPL, version 2 or later (libavcodec: %s).\n"+
		"        Sources: camgate at the commit above, FFmpeg %s, x264 from Debian.\n", v.License, v.FFmpeg)
	fmt.Fprintf(stdout, "configure %s\n", strings.TrimSpace(v.Configuration))
	return 0
}
