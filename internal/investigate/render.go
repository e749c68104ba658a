package investigate

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// WriteMarkdown writes r as a Markdown document a person can act on: the
// conclusion first, then the evidence step by step (host CPU, suspects,
// profile, files, file costs), then what ran and what the investigation
// cost.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", mdText(reportTitle(r)))
	if r.Alert != nil {
		fmt.Fprintf(&b, "Started by alert %s%s.\n\n", mdCode(r.Alert.Name), mdText(alertDetails(r.Alert)))
	}
	switch r.Target.Mode {
	case "pid":
		fmt.Fprintf(&b, "Asked to look at pid %d.\n\n", r.Target.PID)
	case "name":
		fmt.Fprintf(&b, "Asked to look at processes named %s.\n\n", mdCode(r.Target.Name))
	}

	c := r.Conclusion
	b.WriteString("## Conclusion\n\n")
	fmt.Fprintf(&b, "%s\n\n", mdProse(c.Summary))
	fmt.Fprintf(&b, "Confidence: %s. Cause: %s.\n\n", mdText(c.Confidence), mdCause(c.Cause))
	if c.Partial {
		b.WriteString("Partial: ")
		if steps := partialSteps(r.Steps); len(steps) == 0 {
			b.WriteString("some steps did not run")
		} else {
			for i, s := range steps {
				if i > 0 {
					b.WriteString("; ")
				}
				fmt.Fprintf(&b, "%s %s", mdText(s.Name), mdText(s.Status))
				if s.Reason != "" {
					fmt.Fprintf(&b, ": %s", mdProse(s.Reason))
				}
			}
		}
		b.WriteString(".\n\n")
	}
	if len(c.Evidence) > 0 {
		for _, e := range c.Evidence {
			fmt.Fprintf(&b, "- %s\n", mdProse(e))
		}
		b.WriteString("\n")
	}

	h := r.Host
	b.WriteString("## Host CPU\n\n")
	fmt.Fprintf(&b, "%s.", fmtPlural(h.CPUs, "CPU"))
	if h.Recent != nil {
		fmt.Fprintf(&b, " Average over the last %s from %s; busiest minute %s busy.",
			fmtDuration(h.Recent.WindowSeconds), mdText(h.Recent.Source), fmtPercent(h.Recent.MaxBusy))
	}
	b.WriteString("\n\n")
	rows := [][]string{splitRow("Now", h.Now)}
	if h.Recent != nil {
		rows = append(rows, splitRow("Average, last "+fmtDuration(h.Recent.WindowSeconds), h.Recent.Average))
	}
	mdTable(&b, splitHeader, "lrrrrrrrrr", rows)
	if len(h.Abnormal) == 0 {
		b.WriteString("Nothing abnormal.\n\n")
	} else {
		b.WriteString("Abnormal:\n\n")
		for _, a := range h.Abnormal {
			fmt.Fprintf(&b, "- %s\n", mdProse(a))
		}
		b.WriteString("\n")
	}

	b.WriteString("## Suspects\n\n")
	if len(r.Suspects) == 0 {
		b.WriteString("No process stood out.\n\n")
	} else {
		rows = nil
		for _, s := range r.Suspects {
			rows = append(rows, []string{
				strconv.Itoa(s.PID), mdText(s.Comm), orDash(mdText(s.Container)),
				fmtCores(s.Cores), fmtCores(s.UserCores), fmtCores(s.SystemCores), fmtPercent(s.SystemFraction), mdProse(s.Why),
			})
		}
		mdTable(&b, []string{"PID", "Command", "Container", "Cores", "User", "System", "System %", "Why"}, "rllrrrrl", rows)
	}

	if p := r.Profile; p != nil {
		b.WriteString("## Profile\n\n")
		fmt.Fprintf(&b, "%s (pid %d): %s samples, %s in the kernel, %s under the kernel's read path.",
			mdText(p.Comm), p.PID, fmtCount(int64(p.Samples)), fmtPercent(p.KernelFraction), fmtPercent(p.ReadPathFraction))
		if p.File != "" {
			fmt.Fprintf(&b, " Profile written to %s.", mdCode(p.File))
		}
		b.WriteString("\n\n")
		for _, t := range profileTables(p) {
			if len(t.Funcs) == 0 {
				continue
			}
			fmt.Fprintf(&b, "### %s\n\n", t.Title)
			rows = nil
			for _, f := range t.Funcs {
				rows = append(rows, []string{mdCode(f.Name), fmtPercent(f.Fraction)})
			}
			mdTable(&b, []string{"Function", "Share"}, "lr", rows)
		}
	}

	if f := r.Files; f != nil {
		b.WriteString("## Files\n\n")
		fmt.Fprintf(&b, "%s spent %s in reads of regular files over %s of tracing.\n\n",
			mdText(processName(r, f.PID)), fmtDuration(f.ReadSeconds), fmtDuration(f.WindowSeconds))
		if len(f.Files) == 0 {
			b.WriteString("No file reads were seen.\n\n")
		} else {
			rows = nil
			for _, fr := range f.Files {
				rows = append(rows, []string{
					mdCode(fr.Path), fmtRate(fr.OpensPerMin), fmtCount(int64(fr.Reads)), fmtBytes(float64(fr.Bytes)),
					fmtDuration(fr.ReadSeconds), fmtDuration(fr.MaxReadSecs), fmtPercent(fr.ShareOfReads),
				})
			}
			mdTable(&b, []string{"Path", "Opens/min", "Reads", "Bytes", "Read time", "Longest read", "Share"}, "lrrrrrr", rows)
		}
	}

	if len(r.Costs) > 0 {
		b.WriteString("## File costs\n\n")
		b.WriteString("Each file read again in full by mihari, and timed.\n\n")
		rows = nil
		for _, c := range r.Costs {
			rows = append(rows, []string{
				mdCode(c.Path), mdText(costStatus(c)), fmtDuration(c.WallSeconds), costCPU(c, c.UserSeconds),
				costCPU(c, c.SystemSeconds), fmtBytes(float64(c.Bytes)), fmtCount(c.Lines),
			})
		}
		mdTable(&b, []string{"Path", "Status", "Wall", "User", "System", "Bytes", "Lines"}, "llrrrrr", rows)
	}

	b.WriteString("## Steps\n\n")
	rows = nil
	for _, s := range r.Steps {
		rows = append(rows, []string{mdText(s.Name), mdText(s.Status), stepTime(s), orDash(mdProse(s.Reason))})
	}
	mdTable(&b, []string{"Step", "Status", "Time", "Reason"}, "llrl", rows)

	fmt.Fprintf(&b, "%s\n", mdText(selfText(r)))
	_, err := w.Write(b.Bytes())
	return err
}

//go:embed report.html.tmpl
var reportHTML string

var htmlTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"title":         reportTitle,
	"alertDetails":  alertDetails,
	"partialSteps":  partialSteps,
	"selfText":      selfText,
	"process":       processName,
	"profileTables": profileTables,
	"costStatus":    costStatus,
	"costCPU":       costCPU,
	"stepTime":      stepTime,
	"prose":         htmlProse,
	"path":          htmlPath,
	"duration":      fmtDuration,
	"percent":       fmtPercent,
	"cores":         fmtCores,
	"rate":          fmtRate,
	"count":         func(n int) string { return fmtCount(int64(n)) },
	"count64":       fmtCount,
	"countU":        func(n uint64) string { return fmtCount(int64(n)) },
	"bytesU":        func(n uint64) string { return fmtBytes(float64(n)) },
	"bytes64":       func(n int64) string { return fmtBytes(float64(n)) },
	"plural":        fmtPlural,
	"orDash":        orDash,
	"splitHeader":   func() []string { return splitHeader },
	"splitRow":      splitRow,
	"badge":         badgeClass,
}).Parse(reportHTML))

// WriteHTML writes r as a standalone HTML page with the content of
// WriteMarkdown: no scripts, no external resources, light and dark themes.
// Everything from the report is escaped.
func WriteHTML(w io.Writer, r *Report) error {
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, r); err != nil {
		return fmt.Errorf("rendering report %q as HTML: %w", r.ID, err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteJSON writes r as indented JSON, in the shape documented in
// docs/investigation.md, with a trailing newline.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// reportTitle is the report's title: the host and when the investigation
// started.
func reportTitle(r *Report) string {
	return fmt.Sprintf("Investigation of %s at %s", r.Hostname, r.Started.Format("2006-01-02 15:04:05 MST"))
}

// alertDetails is what follows an alert's name: its labels but the name,
// since when it fires and its summary, e.g.
//
//	(instance=node-1, severity=page), firing since 2026-03-12 09:35:00 UTC: CPU above 90%
func alertDetails(a *Alert) string {
	var b strings.Builder
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		if k != "alertname" {
			labels = append(labels, k+"="+a.Labels[k])
		}
	}
	if len(labels) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(labels, ", "))
	}
	if !a.StartsAt.IsZero() {
		fmt.Fprintf(&b, ", firing since %s", a.StartsAt.Format("2006-01-02 15:04:05 MST"))
	}
	if s := a.Annotations["summary"]; s != "" {
		fmt.Fprintf(&b, ": %s", strings.TrimRight(s, "."))
	}
	return b.String()
}

// partialSteps are the steps behind a partial report: those that did not
// run, and those that ran with a reason (a process that exited midway).
func partialSteps(steps []Step) []Step {
	var out []Step
	for _, s := range steps {
		if s.Status != "ok" || s.Reason != "" {
			out = append(out, s)
		}
	}
	return out
}

// selfText is the last line: what the investigation cost.
func selfText(r *Report) string {
	s := r.Self
	return fmt.Sprintf("Investigation %s took %s and %s of CPU, %s of it outside the %s profiling and tracing window.",
		r.ID, fmtDuration(s.WallSeconds), fmtDuration(s.CPUSeconds), fmtDuration(s.CPUSecondsOutsideWindow), fmtDuration(r.WindowSeconds))
}

// processName names a pid by its command, if a suspect or the profile
// knows it.
func processName(r *Report, pid int) string {
	for _, s := range r.Suspects {
		if s.PID == pid && s.Comm != "" {
			return fmt.Sprintf("%s (pid %d)", s.Comm, pid)
		}
	}
	if p := r.Profile; p != nil && p.PID == pid && p.Comm != "" {
		return fmt.Sprintf("%s (pid %d)", p.Comm, pid)
	}
	return fmt.Sprintf("pid %d", pid)
}

// funcTable is one of a profile's function lists with its heading.
// Its fields are exported for the HTML template.
type funcTable struct {
	Title  string
	Kernel bool
	Funcs  []Func
}

func profileTables(p *Profile) []funcTable {
	return []funcTable{
		{"Top user functions", false, p.TopUser},
		{"Top kernel functions", true, p.TopKernel},
		{"User functions leading into the kernel", false, p.KernelCallers},
	}
}

func costStatus(c Cost) string {
	if c.Error != "" {
		return c.Status + ": " + c.Error
	}
	return c.Status
}

// costCPU is a cost's user or system time, or a dash for a hung read,
// whose thread is still in the kernel and whose CPU is not known.
func costCPU(c Cost, sec float64) string {
	if c.Status == "hung" {
		return "-"
	}
	return fmtDuration(sec)
}

// stepTime is a step's time, or a dash for a step that did not start.
func stepTime(s Step) string {
	if s.Seconds == 0 && s.Status == "skipped" {
		return "-"
	}
	return fmtDuration(s.Seconds)
}

var splitHeader = []string{"", "Busy", "User", "Nice", "System", "IOwait", "IRQ", "SoftIRQ", "Steal", "Idle"}

func splitRow(name string, s CPUSplit) []string {
	return []string{name, fmtPercent(s.Busy), fmtPercent(s.User), fmtPercent(s.Nice), fmtPercent(s.System),
		fmtPercent(s.Iowait), fmtPercent(s.IRQ), fmtPercent(s.SoftIRQ), fmtPercent(s.Steal), fmtPercent(s.Idle)}
}

// badgeClass is the CSS class of a confidence's badge; unknown values get
// the neutral one.
func badgeClass(confidence string) string {
	switch confidence {
	case "high", "medium", "low":
		return "badge " + confidence
	}
	return "badge none"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func fmtPlural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// fmtDuration formats seconds for people: "45 µs", "1.5 ms", "120 ms",
// "3.6 s", "38 s", "25 min", "2.0 h": the largest unit that keeps the value
// at least 1, with one decimal below 10.
func fmtDuration(sec float64) string {
	if sec == 0 {
		return "0 s"
	}
	units := []struct {
		name  string
		scale float64
		below float64 // the next unit takes over from here
	}{
		{"ns", 1e-9, 1000},
		{"µs", 1e-6, 1000},
		{"ms", 1e-3, 1000},
		{"s", 1, 100},
		{"min", 60, 100},
		{"h", 3600, math.Inf(1)},
	}
	for _, u := range units {
		if s := scaled(sec/u.scale, u.below); s != "" {
			return s + " " + u.name
		}
	}
	return strconv.FormatFloat(sec, 'g', 3, 64) + " s"
}

// fmtBytes formats a byte count in binary units: "512 B", "4.0 KiB",
// "40 KiB", "2.4 MiB".
func fmtBytes(n float64) string {
	if n < 1024 {
		return strconv.FormatFloat(n, 'f', 0, 64) + " B"
	}
	for i, u := range []string{"KiB", "MiB", "GiB", "TiB", "PiB"} {
		below := 1024.0
		if i == 4 {
			below = math.Inf(1)
		}
		if s := scaled(n/math.Pow(1024, float64(i+1)), below); s != "" {
			return s + " " + u
		}
	}
	return strconv.FormatFloat(n, 'g', 3, 64) + " B"
}

// scaled formats v with one decimal below 10 and none above, or returns ""
// when v, rounded, is not below limit and the next unit should be used.
func scaled(v, limit float64) string {
	var s string
	if math.Round(v*10) < 100 {
		s = strconv.FormatFloat(v, 'f', 1, 64)
	} else {
		s = strconv.FormatFloat(v, 'f', 0, 64)
	}
	if f, _ := strconv.ParseFloat(s, 64); f >= limit {
		return ""
	}
	return s
}

// fmtPercent formats a fraction (0 to 1) as a percentage with one decimal.
func fmtPercent(f float64) string {
	return strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
}

// fmtCores formats CPU in cores with two decimals.
func fmtCores(c float64) string {
	return strconv.FormatFloat(c, 'f', 2, 64)
}

// fmtRate formats a rate per minute with one decimal.
func fmtRate(r float64) string {
	if r >= 100 {
		return fmtCount(int64(r + 0.5))
	}
	return strconv.FormatFloat(r, 'f', 1, 64)
}

// fmtCount formats n with commas between groups of three digits.
func fmtCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mdCause is the cause in Markdown: its kind, its name in a code span and
// its pid.
func mdCause(c Cause) string {
	if c.Kind == "" || c.Kind == "none" {
		return "none"
	}
	s := mdText(c.Kind)
	if c.Name != "" {
		s += " " + mdCode(c.Name)
	}
	if c.PID != 0 {
		s += fmt.Sprintf(" (pid %d)", c.PID)
	}
	return s
}

// mdTable writes a table; align has an 'l' or 'r' per column. Cells are
// Markdown already; pipes in them are escaped here, code spans included,
// as tables require.
func mdTable(b *bytes.Buffer, header []string, align string, rows [][]string) {
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			if c != "" {
				b.WriteString(" ")
				b.WriteString(strings.ReplaceAll(c, "|", `\|`))
			}
			b.WriteString(" |")
		}
		b.WriteString("\n")
	}
	row(header)
	b.WriteString("|")
	for _, a := range align {
		if a == 'r' {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, r := range rows {
		row(r)
	}
	b.WriteString("\n")
}

// mdCode makes s a Markdown code span, fenced by more backticks than it
// holds.
func mdCode(s string) string {
	s = oneLine(s)
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdText escapes what Markdown would otherwise read as markup: HTML,
// links, code spans and emphasis (but for underscores inside words, which
// are common in paths and never emphasis). A leading '#', '-' or '+' is
// escaped so that text cannot become a heading or a list item.
func mdText(s string) string {
	return mdEscape(s, true)
}

// mdEscape is mdText of text that starts a line (first) or not.
func mdEscape(s string, first bool) string {
	s = oneLine(s)
	var b strings.Builder
	rs := []rune(s)
	for i, c := range rs {
		switch c {
		case '\\', '`', '*', '[', ']', '<', '>':
			b.WriteByte('\\')
		case '_':
			if i == 0 || i == len(rs)-1 || !isWord(rs[i-1]) || !isWord(rs[i+1]) {
				b.WriteByte('\\')
			}
		case '#', '-', '+':
			if first && i == 0 {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(c)
	}
	return b.String()
}

func isWord(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// htmlPath is a path in HTML, escaped, that may break after its slashes
// so that long cgroup paths wrap in narrow tables.
func htmlPath(p string) template.HTML {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = template.HTMLEscapeString(s)
	}
	return template.HTML(strings.Join(parts, "/<wbr>"))
}

// prosePart is a piece of a sentence: plain text, or code (a path, a
// function) that the sentence marks with backticks.
type prosePart struct {
	Text string
	Code bool
}

// proseParts splits the sentences of a report (summary, evidence, reasons),
// which mark paths and functions with backticks as Markdown does. A
// backtick without its pair is text.
func proseParts(s string) []prosePart {
	var out []prosePart
	for {
		i := strings.IndexByte(s, '`')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+1:], '`')
		if j <= 0 {
			break
		}
		if i > 0 {
			out = append(out, prosePart{Text: s[:i]})
		}
		out = append(out, prosePart{Text: s[i+1 : i+1+j], Code: true})
		s = s[i+2+j:]
	}
	if s != "" {
		out = append(out, prosePart{Text: s})
	}
	return out
}

// mdProse is a report's sentence in Markdown: its code in code spans, the
// rest escaped.
func mdProse(s string) string {
	var b strings.Builder
	for i, p := range proseParts(s) {
		if p.Code {
			b.WriteString(mdCode(p.Text))
		} else {
			b.WriteString(mdEscape(p.Text, i == 0))
		}
	}
	return b.String()
}

// htmlProse is a report's sentence in HTML: escaped, its code in <code>
// (paths breakable after their slashes).
func htmlProse(s string) template.HTML {
	var b strings.Builder
	for _, p := range proseParts(s) {
		if p.Code {
			b.WriteString("<code>" + string(htmlPath(p.Text)) + "</code>")
		} else {
			b.WriteString(template.HTMLEscapeString(p.Text))
		}
	}
	return template.HTML(b.String())
}
