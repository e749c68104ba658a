// Package fusefs mounts a small FUSE filesystem whose files can be made slow
// to read or can hang in the kernel, the way a file on a dead network mount
// or an expensive cgroup file does. Tests use it to show that mihari is not
// stalled by such files. Mounting needs root (mount(2) is called directly;
// no fusermount is needed).
package fusefs

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// File is a read-only file whose reads can be delayed or blocked.
type File struct {
	mu      sync.Mutex
	content []byte
	delay   time.Duration
	hang    chan struct{}

	opens, reads atomic.Int64
}

// NewFile returns a file with content.
func NewFile(content string) *File { return &File{content: []byte(content)} }

// SetContent replaces the file's content.
func (f *File) SetContent(s string) {
	f.mu.Lock()
	f.content = []byte(s)
	f.mu.Unlock()
}

// SetDelay makes the first read of every open take d.
func (f *File) SetDelay(d time.Duration) {
	f.mu.Lock()
	f.delay = d
	f.mu.Unlock()
}

// Hang makes reads block in the kernel until Release.
func (f *File) Hang() {
	f.mu.Lock()
	if f.hang == nil {
		f.hang = make(chan struct{})
	}
	f.mu.Unlock()
}

// Release lets blocked reads return and stops further ones from blocking.
func (f *File) Release() {
	f.mu.Lock()
	if f.hang != nil {
		close(f.hang)
		f.hang = nil
	}
	f.mu.Unlock()
}

// Opens is the number of times the file was opened.
func (f *File) Opens() int64 { return f.opens.Load() }

// Reads is the number of read requests the kernel sent for the file.
func (f *File) Reads() int64 { return f.reads.Load() }

type fileNode struct {
	fs.Inode
	f *File
}

var (
	_ fs.NodeOpener    = (*fileNode)(nil)
	_ fs.NodeGetattrer = (*fileNode)(nil)
)

func (n *fileNode) Getattr(_ context.Context, _ fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.f.mu.Lock()
	out.Size = uint64(len(n.f.content))
	n.f.mu.Unlock()
	out.Mode = 0o444
	return 0
}

func (n *fileNode) Open(_ context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&(syscall.O_WRONLY|syscall.O_RDWR) != 0 {
		return nil, 0, syscall.EROFS
	}
	n.f.opens.Add(1)
	n.f.mu.Lock()
	h := &handle{f: n.f, content: n.f.content}
	n.f.mu.Unlock()
	// Direct I/O: every read reaches this process, none is served from
	// the page cache.
	return h, fuse.FOPEN_DIRECT_IO, 0
}

// handle is one open of a File, with the content it had when opened.
type handle struct {
	f       *File
	content []byte
}

var _ fs.FileReader = (*handle)(nil)

func (h *handle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h.f.reads.Add(1)
	h.f.mu.Lock()
	delay, hang := h.f.delay, h.f.hang
	h.f.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-ctx.Done():
			return nil, syscall.EINTR
		}
	}
	if off == 0 && delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, syscall.EINTR
		}
	}
	end := min(off+int64(len(dest)), int64(len(h.content)))
	if off >= end {
		return fuse.ReadResultData(nil), 0
	}
	return fuse.ReadResultData(h.content[off:end]), 0
}

// FS is a mounted filesystem.
type FS struct {
	Dir    string
	server *fuse.Server
	files  map[string]*File
}

// Mount mounts files (by name, in one flat directory) at dir, which must
// exist.
func Mount(dir string, files map[string]*File) (*FS, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("mounting FUSE at %s needs root", dir)
	}
	root := &fs.Inode{}
	zero := time.Duration(0)
	server, err := fs.Mount(dir, root, &fs.Options{
		// No attribute or entry caching: every stat and lookup is live.
		AttrTimeout:  &zero,
		EntryTimeout: &zero,
		MountOptions: fuse.MountOptions{
			DirectMountStrict: true,
			FsName:            "mihari-test",
			Name:              "fusefs",
			AllowOther:        true,
		},
		OnAdd: func(ctx context.Context) {
			for name, f := range files {
				ch := root.NewPersistentInode(ctx, &fileNode{f: f}, fs.StableAttr{Mode: syscall.S_IFREG})
				root.AddChild(name, ch, true)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("mounting FUSE at %s: %w", dir, err)
	}
	return &FS{Dir: dir, server: server, files: files}, nil
}

// Unmount releases every blocked read and unmounts.
func (m *FS) Unmount() error {
	for _, f := range m.files {
		f.Release()
	}
	return m.server.Unmount()
}
