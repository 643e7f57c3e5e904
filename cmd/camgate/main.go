// Command camgate is an in-process transcoding gateway for IP cameras.
//
// Usage:
//
//	camgate run [-c camgate.yml]   run the gateway (no file: the built-in demo)
//	camgate version                versions of camgate, libav and x264
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "version", "-version", "--version":
		return cmdVersion(args, stdout, stderr)
	case "run":
		return cmdRun(args, stdout, stderr)
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "camgate: unknown command %q\n\n", cmd)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `camgate — an in-process transcoding gateway for IP cameras

Usage:
  camgate run [-c camgate.yml]   run the gateway; with no configuration, a demo camera
  camgate version                print the versions of camgate, libav and x264
  camgate help                   this text

Run "camgate COMMAND -h" for the flags of a command.
`)
}
