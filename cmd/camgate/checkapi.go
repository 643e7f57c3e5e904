package main

import (
	"fmt"
	"io"

	"github.com/camgate/camgate/conf"
)

// checkAPI prints the api section's settings that look secure but are not
// (a read token sent in clear beyond this machine) as warnings: the
// configuration is valid, and camgate starts with it.
func checkAPI(f *conf.Conf, stderr io.Writer) {
	// This API serves plain HTTP: no api section setting gives it TLS.
	for _, w := range f.API.Warnings(f.TLS.API.On()) {
		fmt.Fprintf(stderr, "camgate check: warning: %s\n", w)
	}
}
