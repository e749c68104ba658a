package process

import (
	"bytes"
	"context"
	"strconv"
	"sync"

	"github.com/mihari-dev/mihari/internal/collect"
)

// Users maps user IDs to names from the host's /etc/passwd (under
// --path.rootfs, so a containerised agent sees the host's users), read
// through the source layer once; an ID without a name is its number.
type Users struct {
	src  *collect.Source
	path string

	mu    sync.Mutex
	names map[uint64]string
}

// NewUsers returns a Users reading the host's /etc/passwd through r.
func NewUsers(r *collect.Reader, paths collect.Paths) *Users {
	return &Users{src: r.Source("/etc/passwd"), path: paths.Root("etc/passwd")}
}

// Name returns the name of uid, or the number when it has none.
func (u *Users) Name(uid uint64) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.names == nil {
		u.names = map[uint64]string{}
		if b, err := u.src.ReadFile(context.Background(), u.path); err == nil {
			parsePasswd(b, u.names)
		}
	}
	if n, ok := u.names[uid]; ok {
		return n
	}
	n := strconv.FormatUint(uid, 10)
	u.names[uid] = n
	return n
}

// parsePasswd adds the name:password:uid:... lines of b to names; the first
// line of an ID wins, as getpwuid(3) does.
func parsePasswd(b []byte, names map[uint64]string) {
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		f := bytes.SplitN(line, []byte(":"), 4)
		if len(f) < 4 || len(f[0]) == 0 {
			continue
		}
		if uid, err := strconv.ParseUint(string(f[2]), 10, 32); err == nil {
			if _, dup := names[uid]; !dup {
				names[uid] = string(f[0])
			}
		}
	}
}
