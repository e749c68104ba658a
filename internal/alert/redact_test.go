package alert

import (
	"net/url"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"http://127.0.0.1:9093", "http://127.0.0.1:9093"},
		{"https://user:pass@am:9093/prefix", "https://xxxxx:xxxxx@am:9093/prefix"},
		{"https://token@am:9093", "https://xxxxx@am:9093"},
		{"https://hooks.example/x?token=abc&channel=ops", "https://hooks.example/x?channel=xxxxx&token=xxxxx"},
	} {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if have := redact(u); have != tt.want {
			t.Errorf("redact(%s): have %s, want %s", tt.in, have, tt.want)
		}
	}
}

func TestRedactRaw(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"http://am:9093", "http://am:9093"},
		{"http://user:p%zz@am:9093/x", "http://xxxxx@am:9093/x"},
		{"http://user:pass@am:9093?token=1", "http://xxxxx@am:9093?xxxxx"},
		{"am:9093/@x", "am:9093/@x"},
		{"user:pass@am", "xxxxx@am"},
	} {
		if have := redactRaw(tt.in); have != tt.want {
			t.Errorf("redactRaw(%s): have %s, want %s", tt.in, have, tt.want)
		}
	}
}
