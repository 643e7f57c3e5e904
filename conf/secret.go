package conf

import (
	"fmt"
	"net"
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

// HostPort returns the host:port a camera URL connects to, the scheme's
// default port filled in and the host in lower case: what stored credentials
// are bound to. "" for a URL without a host.
func HostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = "554"
		if u.Scheme == "rtsps" {
			port = "322"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// EnvCredentialsHost returns the host:port that the environment's user and
// password of camera name are attached to in the document being edited: the
// host of its URL, or "" when the document has no such camera or its section
// says env_credentials: false.
func (e *Editor) EnvCredentialsHost(name string) string {
	sec := e.d.section("cameras", false)
	if sec == nil {
		return ""
	}
	for i := 0; i+1 < len(sec.Content); i += 2 {
		if sec.Content[i].Value != name {
			continue
		}
		var fc struct {
			URL            string `yaml:"url"`
			EnvCredentials *bool  `yaml:"env_credentials"`
		}
		if err := sec.Content[i+1].Decode(&fc); err != nil || (fc.EnvCredentials != nil && !*fc.EnvCredentials) {
			return ""
		}
		if env := EnvCameraURL(name); env != "" {
			fc.URL = env
		}
		return HostPort(fc.URL)
	}
	return ""
}
