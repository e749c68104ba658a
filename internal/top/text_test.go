package top

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTopWriteTextFitsWidth(t *testing.T) {
	var b strings.Builder
	if err := WriteText(&b, compute(), View{Width: 80}, 4); err != nil {
		t.Fatal(err)
	}
	// At 80 columns CONTAINER and COMMAND share what the fixed columns
	// leave; every line is cut at 80.
	want := `mihari top 16:39:32  interval 2.0s  4 CPUs  6 processes, 2 running  sort: cpu
cpu: 20.0% user  10.0% system  1.0% iowait  0.2% steal  0.0% nice  0.5% irq  0.+
load: 0.52 0.48 0.40  memory: 4.0G used of 16G, 12G available
monitoring: mihari 0.6% CPU; costliest read /proc/[pid]/status 0.21 ms/s (1,312+

    PID USER      %CPU  %USR  %SYS   RSS READ/s WRITE/s  THR S CONTAIN+ COMMAND
    200 root     150.0   0.0 150.0   80M      -       -   40 S kubelet+ kubelet
    100 postgres  75.0  50.0  25.0  100M   2.0M    4.0K    1 S postgre+ postgres
    300 1000      15.0  10.0   5.0  4.0K   4.0K       0    1 R 4f1c5a0+ new
    401 root       1.0   1.0   0.0   20M      0       0    9 S -        mihari
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("output (-want +have):\n%s", diff)
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if len(l) > 80 {
			t.Errorf("line of %d columns: %q", len(l), l)
		}
	}
}

func TestTopWriteTextNoLimit(t *testing.T) {
	var b strings.Builder
	if err := WriteText(&b, compute(), View{Sort: SortMem, Filter: "GRES"}, 0); err != nil {
		t.Fatal(err)
	}
	want := `mihari top 16:39:32  interval 2.0s  4 CPUs  6 processes, 2 running  sort: mem  filter: GRES
cpu: 20.0% user  10.0% system  1.0% iowait  0.2% steal  0.0% nice  0.5% irq  0.3% softirq  68.0% idle
load: 0.52 0.48 0.40  memory: 4.0G used of 16G, 12G available
monitoring: mihari 0.6% CPU; costliest read /proc/[pid]/status 0.21 ms/s (1,312 reads); also mihari[401] 1.0% CPU

    PID USER      %CPU  %USR  %SYS   RSS READ/s WRITE/s  THR S CONTAINER          COMMAND
    100 postgres  75.0  50.0  25.0  100M   2.0M    4.0K    1 S postgresql.service postgres
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("output (-want +have):\n%s", diff)
	}
}

// Columns never wrap, however narrow the screen, and COMMAND keeps what
// it needs as long as CONTAINER keeps a third of what is left.
func TestTopTableWidths(t *testing.T) {
	rows := []Row{{PID: 1, User: "root", Container: strings.Repeat("c", 30), Comm: "kworker/u8:1-events_unbound", State: 'I'}}
	for _, tc := range []struct {
		width     int
		container string
		comm      string
	}{
		{0, strings.Repeat("c", 23) + "+", "kworker/u8:1-events_unbound"},
		{200, strings.Repeat("c", 23) + "+", "kworker/u8:1-events_unbound"},
		{110, strings.Repeat("c", 18) + "+", "kworker/u8:1-events_unbound"},
		{90, strings.Repeat("c", 7) + "+", "kworker/u8:1-even+"},
		{65, "", ""},
		{20, "", ""},
	} {
		head, lines := Table(rows, tc.width)
		for _, l := range append([]string{head}, lines...) {
			if tc.width > 0 && len(l) > tc.width {
				t.Errorf("width %d: line of %d columns: %q", tc.width, len(l), l)
			}
		}
		if tc.comm == "" {
			continue
		}
		f := strings.Fields(lines[0])
		if f[len(f)-2] != tc.container || f[len(f)-1] != tc.comm {
			t.Errorf("width %d: container %q, command %q; want %q and %q", tc.width, f[len(f)-2], f[len(f)-1], tc.container, tc.comm)
		}
	}
}

// A comm is what the process chose: it must not reach the terminal as an
// escape sequence.
func TestTopTableSanitizes(t *testing.T) {
	_, lines := Table([]Row{{PID: 7, User: "r\x1b[2J", Comm: "evil\x1b]0;x\x07é", Container: "-", State: 'S'}}, 0)
	want := "      7 r?[2J      0.0   0.0   0.0     0      -       -    0 S -         evil?]0;x???"
	if lines[0] != want {
		t.Errorf("have %q\nwant %q", lines[0], want)
	}
}

func TestTopCostLine(t *testing.T) {
	for _, tc := range []struct {
		m    Monitoring
		want string
	}{
		{Monitoring{SelfCPU: 0.6, Costliest: "/proc/[pid]/status", CostliestCPU: 0.00021, CostliestReads: 1312},
			"monitoring: mihari 0.6% CPU; costliest read /proc/[pid]/status 0.21 ms/s (1,312 reads)"},
		{Monitoring{SelfCPU: 12.25, Costliest: "/sys/fs/cgroup/[cgroup]/io.stat", CostliestCPU: 0.0304, CostliestReads: 1234567,
			Others: []Agent{{PID: 812, CPU: 1.2}, {PID: 9000, CPU: 0}}},
			"monitoring: mihari 12.2% CPU; costliest read /sys/fs/cgroup/[cgroup]/io.stat 30.40 ms/s (1,234,567 reads); also mihari[812] 1.2% CPU, mihari[9000] 0.0% CPU"},
		{Monitoring{}, "monitoring: mihari 0.0% CPU; no read cost measurable CPU"},
	} {
		if have := CostLine(tc.m); have != tc.want {
			t.Errorf("have %q\nwant %q", have, tc.want)
		}
	}
}

func TestTopHuman(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 512: "512", 1023: "1023", 1024: "1.0K", 4096: "4.0K", 10138: "9.9K", 10189: "10K", 10240: "10K",
		831488: "812K", 1048575: "1024K", 12 << 20: "12M", 1.5 * (1 << 30): "1.5G", 3 << 40: "3.0T",
	} {
		if have := human(v); have != want {
			t.Errorf("human(%v) = %q, want %q", v, have, want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if have := thousands(n); have != want {
			t.Errorf("thousands(%d) = %q, want %q", n, have, want)
		}
	}
}
