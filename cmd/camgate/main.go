// Command camgate is an in-process transcoding gateway for IP cameras.
//
// Usage:
//
//	camgate run [-c camgate.yml]   run the gateway (no file: the built-in demo)
//	camgate check                  validate and print the effective configuration
//	camgate snapshot CAMERA        save a camera's picture from a running camgate
//	camgate health                 exit 0 if a running camgate answers
//	camgate bench                  find the best sub-stream settings for this machine
//	camgate hash-password          print the argon2id hash of a password read on stdin
//	camgate version                versions of camgate, libav and x264
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/camgate/camgate/transcode"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	// RSS must not follow the number of OS threads: see LimitMallocArenas.
	transcode.LimitMallocArenas(2)
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
	case "check":
		return cmdCheck(args, stdout, stderr)
	case "health":
		return cmdHealth(args, stdout, stderr)
	case "snapshot":
		return cmdSnapshot(args, stdout, stderr)
	case "bench":
		return cmdBench(args, stdout, stderr)
	case "hash-password":
		return cmdHashPassword(args, os.Stdin, stdout, stderr)
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
  camgate run [-c camgate.yml]   run the gateway; with no configuration, four demo cameras and a grid
  camgate check [-c camgate.yml] validate a configuration and print it with defaults, passwords hidden
  camgate snapshot CAMERA        save a camera's (or grid/NAME's) picture from a running camgate (-o file, -width N)
  camgate health [-ready]        exit 0 if a running camgate answers (for container health checks)
  camgate bench [-input FILE|URL] measure sub-stream settings: cameras per machine, bitrate, quality
  camgate hash-password          read a password on stdin, print its argon2id hash for users' password_hash
  camgate version                print the versions of camgate, libav and x264
  camgate help                   this text

Run "camgate COMMAND -h" for the flags of a command.
`)
}
