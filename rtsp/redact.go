package rtsp

import (
	"net/url"
	"regexp"
)

// Redact returns rawURL with the password of its user information replaced by
// "xxxxx", so that camera URLs can be logged and shown. A URL that does not
// parse is replaced as a whole: it may hold a password in a form we cannot see.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparsable URL>"
	}
	if u.User == nil {
		return rawURL
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

var urlInText = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)

// RedactText redacts the passwords of every URL inside a message, such as an
// error that quotes the camera's URL.
func RedactText(s string) string {
	return urlInText.ReplaceAllStringFunc(s, Redact)
}
