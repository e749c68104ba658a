package collect

import (
	"context"
	"sync"
)

// memo holds the files read during one collection, so collectors that need
// the same file (cpu and stat both parse /proc/stat) read it once and see
// the same bytes.
type memo struct {
	mu sync.Mutex
	m  map[string]memoEntry
}

type memoEntry struct {
	val  any
	cost Cost
}

type memoKey struct{}

// WithScrape returns a context under which every file is read at most once.
// Node.Collect uses it for each collection.
func WithScrape(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &memo{m: map[string]memoEntry{}})
}

func memoFrom(ctx context.Context) *memo {
	m, _ := ctx.Value(memoKey{}).(*memo)
	return m
}

func (m *memo) get(key string) (any, Result, bool) {
	if m == nil {
		return nil, Result{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.m[key]
	return e.val, Result{Cost: e.cost}, ok
}

func (m *memo) put(key string, val any, cost Cost) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.m[key] = memoEntry{val, cost}
	m.mu.Unlock()
}
