package top

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// View is how a Frame is shown.
type View struct {
	Sort   SortKey
	Filter string
	// Width is the number of columns a line may take; 0 for no limit.
	Width int
}

// Header returns the summary lines above the process table: time,
// interval and counts; the host CPU split; load and memory; the cost of
// monitoring.
func Header(f *Frame, v View) []string {
	h := f.Host
	title := fmt.Sprintf("mihari top %s  interval %.1fs  %d CPUs  %s processes, %s running  sort: %s",
		f.Time.Format("15:04:05"), f.Interval.Seconds(), h.NCPU, thousands(int64(h.Processes)), thousands(int64(h.Running)), v.Sort)
	if v.Filter != "" {
		title += "  filter: " + sanitize(v.Filter)
	}
	c := h.CPU
	lines := []string{
		title,
		fmt.Sprintf("cpu: %.1f%% user  %.1f%% system  %.1f%% iowait  %.1f%% steal  %.1f%% nice  %.1f%% irq  %.1f%% softirq  %.1f%% idle",
			c.User, c.System, c.Iowait, c.Steal, c.Nice, c.IRQ, c.SoftIRQ, c.Idle),
		fmt.Sprintf("load: %.2f %.2f %.2f  memory: %s used of %s, %s available",
			h.Load1, h.Load5, h.Load15, human(float64(h.MemUsed)), human(float64(h.MemTotal)), human(float64(h.MemAvailable))),
		CostLine(f.Monitoring),
	}
	for i, l := range lines {
		lines[i] = cut(l, v.Width)
	}
	return lines
}

// CostLine is the one line on what monitoring costs, e.g.
//
//	monitoring: mihari 0.6% CPU; costliest read /proc/[pid]/status 0.21 ms/s (1,312 reads); also mihari[812] 1.2% CPU
func CostLine(m Monitoring) string {
	var b strings.Builder
	fmt.Fprintf(&b, "monitoring: mihari %.1f%% CPU; ", m.SelfCPU)
	if m.Costliest == "" {
		b.WriteString("no read cost measurable CPU")
	} else {
		fmt.Fprintf(&b, "costliest read %s %.2f ms/s (%s reads)", sanitize(m.Costliest), m.CostliestCPU*1000, thousands(m.CostliestReads))
	}
	for i, a := range m.Others {
		if i == 0 {
			b.WriteString("; also")
		} else {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " mihari[%d] %.1f%% CPU", a.PID, a.CPU)
	}
	return b.String()
}

// The process table's columns. COMMAND is last and takes what is left;
// CONTAINER and COMMAND are cut to fit the width.
var columns = []struct {
	name  string
	width int
	left  bool
}{
	{"PID", 7, false}, {"USER", 8, true}, {"%CPU", 5, false}, {"%USR", 5, false}, {"%SYS", 5, false},
	{"RSS", 5, false}, {"READ/s", 6, false}, {"WRITE/s", 7, false}, {"THR", 4, false}, {"S", 1, true},
}

// fixedWidth is the width of the fixed columns with their separators.
var fixedWidth = func() int {
	n := 0
	for _, c := range columns {
		n += c.width + 1
	}
	return n
}()

const (
	containerTitle = "CONTAINER"
	commandTitle   = "COMMAND"
	// maxContainer is the widest the CONTAINER column gets; longer names
	// are cut.
	maxContainer = 24
)

// Table lays out rows as the process table for a screen width columns
// wide (0 for no limit): the line of column titles and one line per row.
// The layout depends on all of rows, so that scrolling through them does
// not move the columns.
func Table(rows []Row, width int) (head string, lines []string) {
	cn, mn := len(containerTitle), len(commandTitle)
	for _, r := range rows {
		cn = max(cn, len(r.Container))
		mn = max(mn, len(r.Comm))
	}
	cn = min(cn, maxContainer)
	cw, mw := cn, mn
	if width > 0 {
		avail := width - fixedWidth - 1
		if cw+mw > avail {
			// COMMAND gets what it needs as long as CONTAINER keeps a
			// third.
			cw = max(avail-mn, min(cn, avail/3), 1)
			mw = max(avail-cw, 1)
		}
	}

	var b strings.Builder
	for _, c := range columns {
		pad(&b, c.name, c.width, c.left)
		b.WriteByte(' ')
	}
	pad(&b, cut(containerTitle, cw), cw, true)
	b.WriteByte(' ')
	b.WriteString(cut(commandTitle, mw))
	head = cut(b.String(), width)

	lines = make([]string, len(rows))
	var cells [10]string
	for i, r := range rows {
		cells = [10]string{
			strconv.Itoa(r.PID), cut(sanitize(r.User), 8), percent(r.CPU), percent(r.UserCPU), percent(r.SysCPU),
			human(float64(r.RSS)), "-", "-", count(r.Threads), string(rune(r.State)),
		}
		if r.IOKnown {
			cells[6], cells[7] = human(r.ReadRate), human(r.WriteRate)
		}
		if r.State < ' ' || r.State > '~' {
			cells[9] = "?"
		}
		b.Reset()
		for j, c := range columns {
			pad(&b, cells[j], c.width, c.left)
			b.WriteByte(' ')
		}
		pad(&b, cut(sanitize(r.Container), cw), cw, true)
		b.WriteByte(' ')
		b.WriteString(cut(sanitize(r.Comm), mw))
		lines[i] = cut(strings.TrimRight(b.String(), " "), width)
	}
	return head, lines
}

// WriteText writes f as plain text: the header, a blank line, the table
// with at most limit rows (0 for all) in v's order and filter.
func WriteText(w io.Writer, f *Frame, v View, limit int) error {
	rows := Arrange(f.Rows, v.Sort, v.Filter)
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	head, lines := Table(rows, v.Width)
	var b strings.Builder
	for _, l := range Header(f, v) {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(head)
	b.WriteByte('\n')
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func pad(b *strings.Builder, s string, width int, left bool) {
	n := width - len(s)
	if left {
		b.WriteString(s)
	}
	for ; n > 0; n-- {
		b.WriteByte(' ')
	}
	if !left {
		b.WriteString(s)
	}
}

// cut shortens s to width columns, marking the cut with '+'; a width of 0
// or less is no limit. s must be printable ASCII (see sanitize).
func cut(s string, width int) string {
	if width <= 0 || len(s) <= width {
		return s
	}
	if width == 1 {
		return "+"
	}
	return s[:width-1] + "+"
}

// sanitize replaces every byte that is not printable ASCII with '?': a
// comm or a cgroup name is whatever a process chose, and an escape
// sequence in one must not reach the terminal, nor a wide character upset
// the columns.
func sanitize(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] < ' ' || b[j] > '~' {
					b[j] = '?'
				}
			}
			return string(b)
		}
	}
	return s
}

// percent formats a CPU percentage in at most 5 columns up to 99999%.
func percent(v float64) string {
	if v >= 999.95 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// count formats a thread count in at most 4 columns up to 999k.
func count(n int64) string {
	if n > 9999 {
		return strconv.FormatInt(n/1000, 10) + "k"
	}
	return strconv.FormatInt(n, 10)
}

// human formats bytes in binary units, in at most 5 columns: 512, 4.0K,
// 812K, 12M, 1.5G.
func human(v float64) string {
	if v < 1024 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	const units = "KMGTPE"
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v < 9.95 {
		return strconv.FormatFloat(v, 'f', 1, 64) + units[i:i+1]
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + units[i:i+1]
}

// thousands formats n with commas between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func formatUint(v uint64) string { return strconv.FormatUint(v, 10) }
