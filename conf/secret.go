package conf

import (
	"fmt"
	"net/url"
	"os"
	"strings"
)

// readSecret reads a password or token from a file, without its trailing
// newline: secrets need not sit in the configuration.
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// withCredentials puts user and password into a camera URL.
func withCredentials(raw, user, password string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return raw, fmt.Errorf("cannot parse the URL to add credentials")
	}
	if user == "" && u.User != nil {
		user = u.User.Username()
	}
	if password == "" && u.User != nil {
		password, _ = u.User.Password()
	}
	u.User = url.UserPassword(user, password)
	return u.String(), nil
}
