package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/camgate/camgate/internal/viewers"
)

// cmdHashPassword reads a password on stdin (its first line) and prints its
// argon2id hash, for a user's password_hash. The password is read from
// stdin, not from an argument, so that it stays out of the shell's history
// and of the process list.
func cmdHashPassword(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("camgate hash-password", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: camgate hash-password < file    (or type the password and Enter)

Reads a password on stdin and prints its argon2id hash, for a user's
password_hash in the configuration:

  users:
    - name: alice
      password_hash: "$argon2id$v=19$m=19456,t=2,p=1$..."
      read: [front-door]

A hashed password can be checked only with RTSP Basic: see rtsp.auth_methods.
`)
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		fmt.Fprintf(stderr, "camgate hash-password: %v\n", err)
		return 1
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		fmt.Fprintln(stderr, "camgate hash-password: no password on stdin (echo -n 'the password' | camgate hash-password)")
		return 1
	}
	h, err := viewers.HashPassword(password)
	if err != nil {
		fmt.Fprintf(stderr, "camgate hash-password: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, h)
	return 0
}
