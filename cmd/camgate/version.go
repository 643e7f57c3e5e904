package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"

	"github.com/camgate/camgate/transcode"
)

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("camgate version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "also print FFmpeg's configure flags")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	v := transcode.LibraryVersions()
	fmt.Fprintf(stdout, "camgate %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(stdout, "libav   FFmpeg %s (libavcodec %s)\n", v.FFmpeg, v.LibavCodec)
	fmt.Fprintf(stdout, "x264    build %d\n", v.X264Build)
	fmt.Fprintf(stdout, "license camgate: MIT; this binary links x264 and FFmpeg built with --enable-gpl, so as a whole it is %s\n", v.License)
	if *verbose {
		fmt.Fprintf(stdout, "configure %s\n", v.Configuration)
	}
	return 0
}
