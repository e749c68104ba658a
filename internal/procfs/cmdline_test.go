package procfs

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCmdline(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty: kernel thread or zombie", "", nil},
		{"one argument", "/pause\x00", []string{"/pause"}},
		{"arguments", "sleep\x00100000\x00", []string{"sleep", "100000"}},
		{"no final NUL", "a\x00b", []string{"a", "b"}},
		{"empty argument kept", "a\x00\x00b\x00", []string{"a", "", "b"}},
		{"first argument empty", "\x00b\x00", []string{"", "b"}},
		{"title padded with NULs", "nginx: worker process\x00\x00\x00\x00\x00\x00\x00", []string{"nginx: worker process"}},
		{"title without a NUL", "sshd: alice@pts/0", []string{"sshd: alice@pts/0"}},
		{"only NULs", "\x00\x00\x00", nil},
		{"spaces and newlines stay", " a b \x00c\nd\x00", []string{" a b ", "c\nd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ParseCmdline([]byte(tt.in))); diff != "" {
				t.Errorf("ParseCmdline(%q) mismatch (-want +have):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseCmdlineFixtures(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"real/1/cmdline", []string{
			"/process_api", "--firecracker-init", "--addr", "0.0.0.0:2024", "--max-ws-buffer-size", "32768",
			"--block-local-connections", "--log-vsock-port", "5002", "--control-vsock-port", "5001",
			"--listen-vsock-port", "2024", "--tcp-readiness-only", "--auth-required",
		}},
		{"real/2/cmdline", nil},
		{"real/12540/cmdline", []string{"sleep", "100000"}},
		{"real/12545/cmdline", nil},
		{"3323/cmdline", []string{"java", "-XX:+UseG1GC", "-XX:MaxRAMPercentage=75.0", "-jar", "/app/orders.jar"}},
		{"3347/cmdline", []string{"nginx: worker process"}},
		{"1204128/cmdline", []string{"sshd: alice@pts/0"}},
		{"1266093/cmdline", []string{"[celeryd: celery@reports-worker-6f7c9d8b5-4hx2p:ForkPoolWorker-4]"}},
		{"1266090/cmdline", nil}, // a zombie
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ParseCmdline(readProcsFixture(t, tt.name))); diff != "" {
				t.Errorf("ParseCmdline() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func FuzzParseCmdline(f *testing.F) {
	addProcsSeeds(f, "cmdline", "", "\x00", "a\x00\x00", "\x00a", "a b c")
	f.Fuzz(func(t *testing.T, b []byte) {
		args := ParseCmdline(b)
		if len(args) == 0 {
			if args != nil || len(bytes.TrimRight(b, "\x00")) != 0 {
				t.Fatalf("ParseCmdline(%q) = %#v", b, args)
			}
			return
		}
		if slices.ContainsFunc(args, func(a string) bool { return strings.IndexByte(a, 0) >= 0 }) {
			t.Fatalf("an argument holds a NUL: %q", args)
		}
		if joined := strings.Join(args, "\x00"); joined != string(bytes.TrimRight(b, "\x00")) {
			t.Fatalf("ParseCmdline(%q) = %q, which joins to %q", b, args, joined)
		}
	})
}
