package rtsp

import "net/url"

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
