package fusefs

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mihari-dev/mihari/test/testenv"
)

func TestFileDelaysAndHangs(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	f := NewFile("hello\n")
	m, err := Mount(dir, map[string]*File{"a": f})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Unmount() })
	path := filepath.Join(dir, "a")

	if b, err := os.ReadFile(path); err != nil || string(b) != "hello\n" {
		t.Fatalf("read %q, %v", b, err)
	}

	f.SetDelay(200 * time.Millisecond)
	start := time.Now()
	if _, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Fatalf("delayed read took %v, less than its delay", el)
	}
	f.SetDelay(0)

	f.Hang()
	before := f.Reads()
	done := make(chan error, 1)
	go func() { _, err := os.ReadFile(path); done <- err }()
	// Once the kernel has passed the read on, it must stay blocked.
	for f.Reads() == before {
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("read returned while hung: %v", err)
	default:
	}
	f.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
