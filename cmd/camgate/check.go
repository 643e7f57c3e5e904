package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/camgate/camgate/conf"
)

// cmdCheck validates a configuration and prints it as camgate understands
// it, every default filled in and every password redacted.
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("camgate check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("c", conf.DefaultFile, "configuration file")
	ports := fs.Bool("ports", true, "also check that the RTSP and API ports are free")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	f, err := conf.Load(*path)
	if err != nil {
		fmt.Fprintf(stderr, "camgate check: %v\n", err)
		return 1
	}
	var problems []string
	if *ports {
		addrs := []string{f.RTSP.Address}
		if !f.API.Off() {
			addrs = append(addrs, f.API.Listen)
		}
		for _, a := range addrs {
			l, err := net.Listen("tcp", a)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: port in use or not available: %v", a, err))
				continue
			}
			l.Close()
		}
	}
	problems = append(problems, checkTLS(f, stderr)...)
	out, err := conf.Effective(f)
	if err != nil {
		fmt.Fprintf(stderr, "camgate check: %v\n", err)
		return 1
	}
	stdout.Write(out)
	// Warnings do not fail the check: the configuration works, it is only
	// less safe than it may look.
	for _, w := range conf.Warnings(f) {
		fmt.Fprintf(stderr, "camgate check: warning: %s\n", w)
	}
	for _, n := range conf.Notices(f) {
		fmt.Fprintf(stderr, "camgate check: note: %s\n", n)
	}
	checkAPI(f, stderr)
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "camgate check: %s\n", strings.Join(problems, "\ncamgate check: "))
		return 1
	}
	fmt.Fprintf(stderr, "camgate check: %s is valid: %d cameras, %d grids\n", *path, len(f.Cameras), len(f.Grids))
	return 0
}
