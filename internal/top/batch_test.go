package top

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// frames gives a nil frame first, as a Collector does, then compute()'s.
type frames struct{ calls int }

func (f *frames) Next(context.Context) (*Frame, error) {
	f.calls++
	if f.calls == 1 {
		return nil, nil
	}
	return compute(), nil
}

func TestTopBatchJSON(t *testing.T) {
	src := &frames{}
	var b strings.Builder
	err := Batch(context.Background(), src, &b, BatchOptions{Frames: 3, Delay: time.Millisecond, Limit: 1, JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 || src.calls != 4 {
		t.Fatalf("%d lines from %d samples, want 3 from 4:\n%s", len(lines), src.calls, b.String())
	}
	for _, l := range lines {
		var f struct{ Processes []struct{ PID int } }
		if err := json.Unmarshal([]byte(l), &f); err != nil || len(f.Processes) != 1 || f.Processes[0].PID != 200 {
			t.Errorf("line %s: %v, %+v", l, err, f)
		}
	}
}

func TestTopBatchText(t *testing.T) {
	var b strings.Builder
	if err := Batch(context.Background(), &frames{}, &b, BatchOptions{Frames: 2, Delay: time.Millisecond, Limit: 2}); err != nil {
		t.Fatal(err)
	}
	frame := `mihari top 16:39:32  interval 2.0s  4 CPUs  6 processes, 2 running  sort: cpu
cpu: 20.0% user  10.0% system  1.0% iowait  0.2% steal  0.0% nice  0.5% irq  0.3% softirq  68.0% idle
load: 0.52 0.48 0.40  memory: 4.0G used of 16G, 12G available
monitoring: mihari 0.6% CPU; costliest read /proc/[pid]/status 0.21 ms/s (1,312 reads); also mihari[401] 1.0% CPU

    PID USER      %CPU  %USR  %SYS   RSS READ/s WRITE/s  THR S CONTAINER          COMMAND
    200 root     150.0   0.0 150.0   80M      -       -   40 S kubelet.service    kubelet
    100 postgres  75.0  50.0  25.0  100M   2.0M    4.0K    1 S postgresql.service postgres
`
	if want := frame + "\n" + frame; b.String() != want {
		t.Errorf("have\n%s\nwant\n%s", b.String(), want)
	}
}

// A cancelled batch (Ctrl-C) ends quietly between frames.
func TestTopBatchCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	src := &frames{}
	var b strings.Builder
	done := make(chan error, 1)
	go func() { done <- Batch(ctx, src, &b, BatchOptions{Delay: time.Hour}) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Batch: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Batch did not stop when cancelled")
	}
}
