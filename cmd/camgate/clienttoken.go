package main

import (
	"os"

	"github.com/camgate/camgate/conf"
)

// readToken is the token of the commands that only read, when there is no
// admin token: api.read_token from the configuration file at path (if any),
// else $CAMGATE_API_READ_TOKEN.
func readToken(path string) string {
	if path != "" {
		if f, err := conf.Load(path); err == nil && f.API.ReadToken != "" {
			return f.API.ReadToken
		}
	}
	return os.Getenv(conf.EnvAPIReadToken)
}
