package process

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Unix(1_700_000_000, 0)

func proc(pid, ppid int, comm string, start time.Time, cpu time.Duration) *Proc {
	return &Proc{
		PID: pid, PPID: ppid, Comm: comm, State: 'S', Start: start,
		startTicks: uint64(start.Sub(t0.Add(-time.Hour)) / (10 * time.Millisecond)),
		UTime:      cpu, STime: cpu / 2, ReadBytes: uint64(cpu.Milliseconds()), IOKnown: true,
		RSS: 1 << 20, VSize: 1 << 24, Threads: 2, OpenFDs: 10, MaxFDs: 1000,
	}
}

func groupByName(gs []Group) map[string]Group {
	m := map[string]Group{}
	for _, g := range gs {
		m[g.Name] = g
	}
	return m
}

// Counters start at zero for processes already running when the tracker
// starts, count fully for processes started later, and never go back when
// processes exit: process-exporter's semantics, which rate() relies on.
func TestTrackerAccumulates(t *testing.T) {
	tr := NewTracker(ByComm(), true, nil)
	old := proc(100, 1, "web", t0.Add(-time.Minute), 10*time.Second)
	g := groupByName(tr.Update(&Snapshot{Time: t0, Procs: []*Proc{old}}))
	if have := g["web"]; have.User != 0 || have.Procs != 1 || have.Resident != 1<<20 {
		t.Fatalf("first sample: %+v; want user 0 (running before the tracker), 1 process", have)
	}

	old2 := proc(100, 1, "web", t0.Add(-time.Minute), 12*time.Second)
	young := proc(200, 1, "web", t0.Add(5*time.Second), 3*time.Second)
	g = groupByName(tr.Update(&Snapshot{Time: t0.Add(10 * time.Second), Procs: []*Proc{old2, young}}))
	// 2 s of the old process since the first sample, all 3 s of the new.
	if have := g["web"]; have.User != 5*time.Second || have.System != 2500*time.Millisecond || have.Procs != 2 {
		t.Fatalf("second sample: user %v system %v procs %d; want 5s, 2.5s, 2", have.User, have.System, have.Procs)
	}

	// Both exit: the counters stay, the gauges fall to zero.
	g = groupByName(tr.Update(&Snapshot{Time: t0.Add(20 * time.Second)}))
	have := g["web"]
	if have.User != 5*time.Second || have.Procs != 0 || have.Resident != 0 || !have.Oldest.IsZero() {
		t.Fatalf("after exit: %+v", have)
	}

	// A PID reused by another process is a new process.
	reused := proc(100, 1, "web", t0.Add(25*time.Second), time.Second)
	g = groupByName(tr.Update(&Snapshot{Time: t0.Add(30 * time.Second), Procs: []*Proc{reused}}))
	if have := g["web"]; have.User != 6*time.Second {
		t.Fatalf("reused pid: user %v, want 6s", have.User)
	}
}

func TestTrackerChildren(t *testing.T) {
	n, err := ParseNamer([]byte("process_names: [{name: app, comm: [app]}]"))
	if err != nil {
		t.Fatal(err)
	}
	procs := []*Proc{
		proc(10, 1, "app", t0, time.Second),
		proc(11, 10, "sh", t0, time.Second),
		proc(12, 11, "grep", t0, time.Second),
		proc(13, 1, "other", t0, time.Second),
	}
	for _, children := range []bool{true, false} {
		g := groupByName(NewTracker(n, children, nil).Update(&Snapshot{Time: t0, Procs: procs}))
		want := 1
		if children {
			want = 3 // app, its child sh and grandchild grep
		}
		if g["app"].Procs != want || len(g) != 1 {
			t.Errorf("children=%v: groups %v, app has %d processes, want %d", children, g, g["app"].Procs, want)
		}
	}
}

func TestTrackerGauges(t *testing.T) {
	a := proc(1, 0, "x", t0.Add(-time.Hour), 0)
	a.State, a.OpenFDs, a.MaxFDs = 'R', 900, 1000
	b := proc(2, 0, "x", t0.Add(-2*time.Hour), 0)
	b.State, b.OpenFDs, b.Swap = 'Z', -1, 4096
	c := proc(3, 0, "x", t0, 0)
	c.State, c.Wchan = 'D', "io_schedule"
	g := groupByName(NewTracker(ByComm(), true, nil).Update(&Snapshot{Time: t0, Procs: []*Proc{a, b, c}}))["x"]
	want := Group{
		Name: "x", Procs: 3,
		Resident: 3 << 20, Virtual: 3 << 24, Swap: 4096,
		OpenFDs: 910, WorstFDRatio: 0.9, Oldest: t0.Add(-2 * time.Hour), Threads: 6,
		States: States{Running: 1, Waiting: 1, Zombie: 1},
		Wchans: map[string]int{"io_schedule": 1},
	}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Fatalf("group (-want +have):\n%s", diff)
	}
}

func TestTop(t *testing.T) {
	tr := NewTracker(ByComm(), true, nil)
	busy := proc(1, 0, "busy", t0, 100*time.Second)
	quiet := proc(2, 0, "quiet", t0, 500*time.Second)
	// On the first call the ranking is by lifetime CPU.
	top := tr.Top(&Snapshot{Procs: []*Proc{busy, quiet}}, 1)
	if len(top) != 1 || top[0].PID != 2 {
		t.Fatalf("first top: %v", top)
	}
	// Then by CPU since the previous call: busy used 10 s, quiet none.
	busy2 := proc(1, 0, "busy", t0, 110*time.Second)
	top = tr.Top(&Snapshot{Procs: []*Proc{busy2, quiet}}, 5)
	if len(top) != 2 || top[0].PID != 1 || top[1].PID != 2 {
		t.Fatalf("second top: %v, want busy first", top)
	}
}
