package main

import (
	"fmt"
	"io"

	"github.com/camgate/camgate/conf"
)

// checkAPI prints the api section's settings that look secure but are not
// (a token sent in clear beyond this machine) as warnings: the
// configuration is valid, and camgate starts with it.
func checkAPI(f *conf.Conf, stderr io.Writer) {
	// The API serves plain HTTP unless the api section gives it a
	// certificate; the HTTPS settings pass true here.
	for _, w := range f.API.Warnings(false) {
		fmt.Fprintf(stderr, "camgate check: warning: %s\n", w)
	}
}
