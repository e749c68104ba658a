package alert

import (
	"net/url"
	"strings"
)

// secret replaces credentials in the URLs mihari shows.
const secret = "xxxxx"

// redact returns u for logs, metrics and the API: user name and password
// masked (a token is often put in the user name), and every query value
// masked (webhooks often carry their token there). Secrets inside the path
// cannot be told apart from the path and are shown.
func redact(u *url.URL) string {
	r := *u
	if r.User != nil {
		if _, ok := r.User.Password(); ok {
			r.User = url.UserPassword(secret, secret)
		} else {
			r.User = url.User(secret)
		}
	}
	if r.RawQuery != "" {
		q, err := url.ParseQuery(r.RawQuery)
		if err != nil {
			r.RawQuery = secret
		} else {
			for k := range q {
				q[k] = []string{secret}
			}
			r.RawQuery = q.Encode()
		}
	}
	return r.String()
}

// redactRaw masks what looks like credentials in a string that does not
// parse as a URL, so that an error about it can still quote it.
func redactRaw(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i+1] + secret
	}
	rest, scheme := s, ""
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, rest = s[:i+3], s[i+3:]
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		rest = secret + rest[i:]
	}
	return scheme + rest
}
