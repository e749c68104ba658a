package process

import (
	"sort"
	"time"
)

// Counts are the counters of a process or a group.
type Counts struct {
	User, System          time.Duration
	ReadBytes, WriteBytes uint64
	MajFlt, MinFlt        uint64
	VolCtx, InvCtx        uint64
}

func (c *Counts) add(d Counts) {
	c.User += d.User
	c.System += d.System
	c.ReadBytes += d.ReadBytes
	c.WriteBytes += d.WriteBytes
	c.MajFlt += d.MajFlt
	c.MinFlt += d.MinFlt
	c.VolCtx += d.VolCtx
	c.InvCtx += d.InvCtx
}

// since returns c minus old, each counter floored at zero (a counter that
// went back, such as io of a process whose io became unreadable, adds
// nothing rather than subtracting).
func (c Counts) since(old Counts) Counts {
	sub := func(a, b uint64) uint64 {
		if a < b {
			return 0
		}
		return a - b
	}
	subd := func(a, b time.Duration) time.Duration { return max(a-b, 0) }
	return Counts{
		User: subd(c.User, old.User), System: subd(c.System, old.System),
		ReadBytes: sub(c.ReadBytes, old.ReadBytes), WriteBytes: sub(c.WriteBytes, old.WriteBytes),
		MajFlt: sub(c.MajFlt, old.MajFlt), MinFlt: sub(c.MinFlt, old.MinFlt),
		VolCtx: sub(c.VolCtx, old.VolCtx), InvCtx: sub(c.InvCtx, old.InvCtx),
	}
}

func countsOf(p *Proc) Counts {
	return Counts{
		User: p.UTime, System: p.STime,
		ReadBytes: p.ReadBytes, WriteBytes: p.WriteBytes,
		MajFlt: p.MajFlt, MinFlt: p.MinFlt,
		VolCtx: p.VolCtx, InvCtx: p.InvCtx,
	}
}

// States counts processes by scheduler state, in process-exporter's terms.
type States struct {
	Running, Sleeping, Waiting, Zombie, Other int
}

func (s *States) add(state byte) {
	switch state {
	case 'R':
		s.Running++
	case 'S':
		s.Sleeping++
	case 'D':
		s.Waiting++
	case 'Z':
		s.Zombie++
	default:
		s.Other++
	}
}

// Group is one named group of processes in one sample.
type Group struct {
	Name string
	// Counts never decrease: they are accumulated from the first sample on,
	// and keep the contribution of processes that have exited.
	Counts
	Procs                   int
	Resident, Virtual, Swap uint64
	OpenFDs                 uint64
	WorstFDRatio            float64
	Oldest                  time.Time // zero when no process is running
	Threads                 uint64
	States                  States
	Wchans                  map[string]int
}

// key identifies a process across samples.
type key struct {
	pid   int
	start uint64
}

type trackedProc struct {
	group string // "" for processes that belong to no group
	last  Counts
}

// Tracker turns samples into groups with process-exporter's semantics:
// a process belongs to the group it was given when first seen (or to its
// parent's, when children are tracked); counters start at zero with the
// first sample, processes that appear later count from their start, and a
// group's counters never go back when its processes exit.
type Tracker struct {
	namer    *Namer
	children bool
	users    func(uid uint64) string

	started bool // the first sample has been taken
	procs   map[key]*trackedProc
	accum   map[string]Counts
	lastCPU map[key]time.Duration
}

// NewTracker returns a Tracker naming processes with namer. users maps a
// user ID to a name, for name templates that use .Username.
func NewTracker(namer *Namer, children bool, users func(uint64) string) *Tracker {
	return &Tracker{
		namer:    namer,
		children: children,
		users:    users,
		procs:    map[key]*trackedProc{},
		accum:    map[string]Counts{},
		lastCPU:  map[key]time.Duration{},
	}
}

// Update folds a sample in and returns the groups, sorted by name.
func (t *Tracker) Update(snap *Snapshot) []Group {
	first := !t.started
	t.started = true
	byKey := make(map[key]*Proc, len(snap.Procs))
	for _, p := range snap.Procs {
		byKey[key{p.PID, p.startTicks}] = p
	}
	byPID := make(map[int]key, len(snap.Procs))
	for k := range byKey {
		byPID[k.pid] = k
	}

	groups := map[string]*Group{}
	for k, p := range byKey {
		tp := t.procs[k]
		if tp == nil {
			tp = t.track(k, p, byKey, byPID, first)
		}
		if tp.group == "" {
			continue
		}
		cur := countsOf(p)
		delta := cur.since(tp.last)
		tp.last = cur
		acc := t.accum[tp.group]
		acc.add(delta)
		t.accum[tp.group] = acc

		g := groups[tp.group]
		if g == nil {
			g = &Group{Name: tp.group}
			groups[tp.group] = g
		}
		g.Procs++
		g.Resident += p.RSS
		g.Virtual += p.VSize
		g.Swap += p.Swap
		if p.OpenFDs >= 0 {
			g.OpenFDs += uint64(p.OpenFDs)
			if p.MaxFDs > 0 {
				g.WorstFDRatio = max(g.WorstFDRatio, float64(p.OpenFDs)/float64(p.MaxFDs))
			}
		}
		if g.Oldest.IsZero() || p.Start.Before(g.Oldest) {
			g.Oldest = p.Start
		}
		g.Threads += uint64(max(p.Threads, 0))
		g.States.add(p.State)
		if p.Wchan != "" {
			if g.Wchans == nil {
				g.Wchans = map[string]int{}
			}
			g.Wchans[p.Wchan]++
		}
	}
	for k := range t.procs {
		if byKey[k] == nil {
			delete(t.procs, k)
		}
	}

	out := make([]Group, 0, len(t.accum))
	for name, acc := range t.accum {
		g := groups[name]
		if g == nil {
			// Every process of the group has exited: its counters stay.
			g = &Group{Name: name}
		}
		g.Counts = acc
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// track names a process seen for the first time.
func (t *Tracker) track(k key, p *Proc, byKey map[key]*Proc, byPID map[int]key, first bool) *trackedProc {
	tp := &trackedProc{}
	t.procs[k] = tp
	if name, ok := t.namer.Name(t.attrs(p)); ok {
		tp.group = name
	} else if t.children {
		tp.group = t.parentGroup(p, byKey, byPID, 0)
	}
	if tp.group == "" {
		return tp
	}
	if _, ok := t.accum[tp.group]; !ok {
		t.accum[tp.group] = Counts{}
	}
	// A process that started after the first sample contributes everything
	// it has done; one that was already running only what it does from
	// then on. (Comparing start times instead would misjudge processes
	// started within a second of the first sample: the boot time the start
	// times derive from is rounded to the second.)
	if first {
		tp.last = countsOf(p)
	}
	return tp
}

// parentGroup returns the group of p's nearest named ancestor.
func (t *Tracker) parentGroup(p *Proc, byKey map[key]*Proc, byPID map[int]key, depth int) string {
	pk, ok := byPID[p.PPID]
	if !ok || p.PPID <= 1 || depth > 64 {
		return ""
	}
	if tp := t.procs[pk]; tp != nil {
		return tp.group
	}
	parent := byKey[pk]
	if name, ok := t.namer.Name(t.attrs(parent)); ok {
		return name
	}
	return t.parentGroup(parent, byKey, byPID, depth+1)
}

func (t *Tracker) attrs(p *Proc) Attrs {
	a := Attrs{Comm: p.Comm, Cmdline: p.Cmdline, PID: p.PID, Start: p.Start}
	if p.Cgroup != "" {
		a.Cgroups = []string{p.Cgroup}
	}
	if t.namer.NeedsUser && t.users != nil {
		a.Username = t.users(p.UID)
	}
	return a
}

// Top returns the n processes that used the most CPU since the previous
// call (since they started, on the first), most first.
func (t *Tracker) Top(snap *Snapshot, n int) []*Proc {
	if n <= 0 {
		return nil
	}
	type ranked struct {
		p     *Proc
		delta time.Duration
	}
	all := make([]ranked, 0, len(snap.Procs))
	seen := make(map[key]time.Duration, len(snap.Procs))
	for _, p := range snap.Procs {
		k := key{p.PID, p.startTicks}
		cpu := p.CPU()
		seen[k] = cpu
		all = append(all, ranked{p, cpu - t.lastCPU[k]})
	}
	t.lastCPU = seen
	sort.Slice(all, func(i, j int) bool {
		if all[i].delta != all[j].delta {
			return all[i].delta > all[j].delta
		}
		return all[i].p.PID < all[j].p.PID
	})
	out := make([]*Proc, 0, min(n, len(all)))
	for _, r := range all[:min(n, len(all))] {
		out = append(out, r.p)
	}
	return out
}
