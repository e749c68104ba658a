package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/internal/trace"
)

func TestSecondsFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantStr string
	}{
		{"10", 10 * time.Second, "10s"},
		{"0.5", 500 * time.Millisecond, "500ms"},
		{"1m30s", 90 * time.Second, "1m30s"},
		{"1.5h", 90 * time.Minute, "1h30m0s"},
		{"250ms", 250 * time.Millisecond, "250ms"},
		{"1e3", 1000 * time.Second, "16m40s"},
		// 0 is no duration: trace open runs until Ctrl-C.
		{"0", 0, "0s"},
		{"0s", 0, "0s"},
	}
	for _, tt := range tests {
		var s seconds
		if err := s.Set(tt.in); err != nil {
			t.Errorf("Set(%q): %v", tt.in, err)
			continue
		}
		if time.Duration(s) != tt.want || s.String() != tt.wantStr {
			t.Errorf("Set(%q): %v shown as %q, want %v shown as %q", tt.in, time.Duration(s), s.String(), tt.want, tt.wantStr)
		}
	}
	for _, tt := range []struct{ in, wantErr string }{
		{"-1", "want a positive duration"},
		{"-0.5", "want a positive duration"},
		{"-1s", "want a positive duration"},
		{"", "want seconds (10) or a duration (1m30s)"},
		{"ten", "want seconds (10) or a duration (1m30s)"},
		{"10 s", "want seconds (10) or a duration (1m30s)"},
		{"1d", "want seconds (10) or a duration (1m30s)"},
		{"3000000h", "want seconds (10) or a duration (1m30s)"}, // past time.Duration
	} {
		s := seconds(7)
		err := s.Set(tt.in)
		if err == nil || err.Error() != tt.wantErr || s != 7 {
			t.Errorf("Set(%q) = %v, value %v; want error %q and the value left as it was", tt.in, err, time.Duration(s), tt.wantErr)
		}
	}
	var s seconds
	if s.Type() != "duration" || s.String() != "0s" {
		t.Errorf("zero value: type %q, shown as %q", s.Type(), s.String())
	}
}

// Seconds past what a time.Duration holds, and numbers that are not
// numbers, must be refused: converted, they become a negative duration,
// which trace open takes as no duration at all (it runs until Ctrl-C)
// and trace files refuses as "not more than 0".
func TestSecondsFlagOutOfRange(t *testing.T) {
	for _, in := range []string{"1e10", "9999999999", "1e300", "Inf", "+Inf", "infinity", "NaN"} {
		var s seconds
		if err := s.Set(in); err == nil {
			t.Errorf("Set(%q): no error, value %v", in, time.Duration(s))
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"4096", 4096},
		{"1", 1},
		{"+16", 16},
		{"16MiB", 16 << 20},
		{"256KiB", 256 << 10},
		{"1M", 1 << 20},
		{"1m", 1 << 20},
		{"64Mi", 64 << 20},
		{"4k", 4 << 10},
		{"4KB", 4 << 10},
		{"1G", 1 << 30},
		{"1GiB", 1 << 30},
		{" 16MiB ", 16 << 20},
		{"16B", 16},
		// The largest: 2 GiB, as a ring buffer may be.
		{"2GiB", 1 << 31},
		{"2048M", 1 << 31},
		{"2147483648", 1 << 31},
	}
	for _, tt := range tests {
		have, err := parseSize(tt.in)
		if err != nil || have != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, have, err, tt.want)
		}
	}
	for _, in := range []string{
		"", "0", "0MiB", "-1", "-1M", "abc", "MiB", "B", "1.5M", "16 MiB", "16mib", "16MIB", "16TiB", "0x10",
		"3G", "2049M", "2097153K", "2147483649", "9223372036854775807", "99999999999999999999",
	} {
		have, err := parseSize(in)
		if err == nil || err.Error() != "want a size such as 16MiB, 256KiB or 4096" || have != 0 {
			t.Errorf("parseSize(%q) = %d, %v; want an error", in, have, err)
		}
	}
}

// An "i" that follows no unit is not a size.
func TestParseSizeStrayI(t *testing.T) {
	for _, in := range []string{"16i", "16iB", "4096i"} {
		if have, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, have)
		}
	}
}

func TestByteSizeFlag(t *testing.T) {
	b := byteSize(trace.DefaultBufferSize)
	if b.String() != "16777216" || b.Type() != "size" {
		t.Errorf("default: shown as %q, type %q", b.String(), b.Type())
	}
	if err := b.Set("64MiB"); err != nil || b != 64<<20 || b.String() != "67108864" {
		t.Errorf("Set(64MiB): %v, value %d shown as %q", err, b, b.String())
	}
	if err := b.Set("lots"); err == nil || b != 64<<20 {
		t.Errorf("Set(lots): %v, value %d; want an error and the value left as it was", err, b)
	}
}

func TestOpenSummary(t *testing.T) {
	const advice = " (the ring buffer was full: give a bigger --buffer-size, or filter more)"
	tests := []struct {
		c    trace.Counts
		d    time.Duration
		want string
	}{
		{trace.Counts{}, 0, "0 events seen in 0.0s, 0 lost"},
		{trace.Counts{Events: 12}, 1500 * time.Millisecond, "12 events seen in 1.5s, 0 lost"},
		{trace.Counts{Events: 12, Lost: 3}, 10 * time.Second, "12 events seen in 10.0s, 3 lost" + advice},
		{trace.Counts{Events: 1, StartsFull: 2}, time.Minute, "1 events seen in 60.0s, 0 lost, 2 opens not traced (too many threads inside open at once)"},
		// Counts of trace files: nothing to do with opens.
		{trace.Counts{Events: 5, ReadsFull: 7, FilesFull: 8}, time.Second, "5 events seen in 1.0s, 0 lost"},
	}
	for _, tt := range tests {
		if have := openSummary(tt.c, tt.d); have != tt.want {
			t.Errorf("openSummary(%+v, %v):\nhave %q\nwant %q", tt.c, tt.d, have, tt.want)
		}
	}
}

// What to do about lost events must follow the count of lost events, not
// another count it does not explain.
func TestOpenSummaryAdviceFollowsLost(t *testing.T) {
	have := openSummary(trace.Counts{Events: 12, Lost: 3, StartsFull: 2}, time.Second)
	for _, want := range []string{
		"3 lost (the ring buffer was full: give a bigger --buffer-size, or filter more)",
		"2 opens not traced (too many threads inside open at once)",
	} {
		if !strings.Contains(have, want) {
			t.Errorf("openSummary = %q, want it to contain %q", have, want)
		}
	}
}

func TestFilesSummary(t *testing.T) {
	files := make([]trace.FileUse, 5)
	tests := []struct {
		r     trace.FilesReport
		shown int
		want  string
	}{
		{trace.FilesReport{}, 0, "0 files read or opened in 0.0s, 0 shown"},
		{trace.FilesReport{Files: files, Duration: 10 * time.Second}, 3, "5 files read or opened in 10.0s, 3 shown"},
		{trace.FilesReport{Files: files, Duration: 10 * time.Second, Counts: trace.Counts{Events: 9, Lost: 1}}, 5,
			"5 files read or opened in 10.0s, 5 shown"},
		{trace.FilesReport{Files: files, Duration: 2500 * time.Millisecond, Counts: trace.Counts{ReadsFull: 4}}, 5,
			"5 files read or opened in 2.5s, 5 shown; not counted: 4 reads (too many threads inside read at once), 0 reads or opens (more than --max-files pairs)"},
		{trace.FilesReport{Files: files, Duration: time.Second, Counts: trace.Counts{FilesFull: 7}}, 5,
			"5 files read or opened in 1.0s, 5 shown; not counted: 0 reads (too many threads inside read at once), 7 reads or opens (more than --max-files pairs)"},
	}
	for _, tt := range tests {
		if have := filesSummary(&tt.r, tt.shown); have != tt.want {
			t.Errorf("filesSummary(%d files, %v, %+v, %d):\nhave %q\nwant %q", len(tt.r.Files), tt.r.Duration, tt.r.Counts, tt.shown, have, tt.want)
		}
	}
}

// procs makes processes named comm[pid] for each pid.
func procs(comm string, pids ...uint32) []trace.ProcUse {
	var ps []trace.ProcUse
	for _, pid := range pids {
		ps = append(ps, trace.ProcUse{PID: pid, Comm: comm})
	}
	return ps
}

func TestProcList(t *testing.T) {
	tests := []struct {
		name  string
		ps    []trace.ProcUse
		width int
		want  string
	}{
		{"none", nil, 30, ""},
		{"one", procs("cat", 1), 30, "cat[1]"},
		// The first is shown even when it does not fit.
		{"one too wide", procs("systemd-journal", 123456), 10, "systemd-journal[123456]"},
		{"all fit", append(procs("a", 1), append(procs("b", 2), procs("c", 3)...)...), 30, "a[1] b[2] c[3]"},
		{"the second does not fit", append(procs("kubelet", 1234), append(procs("containerd", 5678), procs("cat", 9)...)...), 30, "kubelet[1234] +2"},
		{"room kept for the count", procs("p", 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21), 30, "p[10] p[11] p[12] p[13] +8"},
		{"two-digit count", procs("p", 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21), 12, "p[10] +11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have := procList(tt.ps, tt.width)
			if have != tt.want {
				t.Errorf("procList = %q, want %q", have, tt.want)
			}
			if len(tt.ps) > 1 && utf8.RuneCountInString(have) > tt.width {
				t.Errorf("procList = %q, wider than %d", have, tt.width)
			}
		})
	}
}

// procList shows "as many as fit": the last process needs no room for a
// count after it.
func TestProcListLastFits(t *testing.T) {
	for _, tt := range []struct {
		ps    []trace.ProcUse
		width int
		want  string
	}{
		{append(procs("a", 1), procs("b", 2)...), 9, "a[1] b[2]"},
		{append(procs("kubelet", 1234), procs("containerd", 5678)...), 30, "kubelet[1234] containerd[5678]"},
	} {
		if have := procList(tt.ps, tt.width); have != tt.want {
			t.Errorf("procList(width %d) = %q, want %q", tt.width, have, tt.want)
		}
	}
}

func TestShortDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{1, "0.0µs"},
		{50, "0.1µs"},
		{999, "1.0µs"},
		{time.Microsecond, "1.0µs"},
		{1500, "1.5µs"},
		{999 * time.Microsecond, "999.0µs"},
		{time.Millisecond, "1.0ms"},
		{1500 * time.Microsecond, "1.5ms"},
		{999 * time.Millisecond, "999.0ms"},
		{time.Second, "1.00s"},
		{1234 * time.Millisecond, "1.23s"},
		{90 * time.Second, "90.00s"},
		{time.Hour, "3600.00s"},
	}
	for _, tt := range tests {
		if have := shortDuration(tt.d); have != tt.want {
			t.Errorf("shortDuration(%v) = %q, want %q", tt.d, have, tt.want)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	tests := []struct {
		n    uint64
		want string
	}{
		{0, "0B"},
		{1, "1B"},
		{1023, "1023B"},
		{1024, "1.0KiB"},
		{1536, "1.5KiB"},
		{1 << 20, "1.0MiB"},
		{100 << 20, "100.0MiB"},
		{1 << 30, "1.0GiB"},
		{1 << 40, "1024.0GiB"},
		{1<<64 - 1, "17179869184.0GiB"},
	}
	for _, tt := range tests {
		if have := humanBytes(tt.n); have != tt.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tt.n, have, tt.want)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"cat", `"cat"`},
		{"/etc/passwd", `"/etc/passwd"`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `"a\\b"`},
		{"tab\there", `"tab\there"`},
		{"new\nline\r", `"new\nline\r"`},
		{"\x00", `"\u0000"`},
		{"\x1f\x01", `"\u001f\u0001"`},
		{"\x7f", "\"\x7f\""},
		{"日本", `"日本"`},
		{"\u2028\u2029", `"\u2028\u2029"`},
		// Not UTF-8: each bad byte is U+FFFD, as encoding/json does.
		{"\xff", `"\ufffd"`},
		{"a\xffb\xfe", `"a\ufffdb\ufffd"`},
		{"\xe2\x82", `"\ufffd\ufffd"`},
		{"\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`}, // a surrogate half
	}
	for _, tt := range tests {
		have := appendJSONString([]byte("x:"), []byte(tt.in))
		if string(have) != "x:"+tt.want {
			t.Errorf("appendJSONString(%q) = %q, want %q", tt.in, have[2:], tt.want)
		}
	}
}

// checkJSONString checks appendJSONString(s) against encoding/json: the
// same string when decoded, and, but for HTML characters, the same bytes.
func checkJSONString(t *testing.T, s []byte) {
	t.Helper()
	out := appendJSONString([]byte("{"), s)
	if out[0] != '{' {
		t.Fatalf("appendJSONString(%q) overwrote what it appends to: %q", s, out)
	}
	out = out[1:]
	if !json.Valid(out) {
		t.Fatalf("appendJSONString(%q) = %q: not JSON", s, out)
	}
	var decoded string
	if err := json.Unmarshal(out, &decoded); err != nil {
		t.Fatalf("appendJSONString(%q) = %q: %v", s, out, err)
	}
	// Each byte that is not UTF-8 becomes U+FFFD, as ranging over a
	// string takes it.
	if want := string([]rune(string(s))); decoded != want {
		t.Fatalf("appendJSONString(%q) = %q, decoded %q; want %q", s, out, decoded, want)
	}
	// encoding/json escapes <, > and & for HTML; appendJSONString may or
	// may not, either being valid JSON.
	if !bytes.ContainsAny(s, "<>&") {
		want, _ := json.Marshal(string(s))
		if !bytes.Equal(out, want) {
			t.Fatalf("appendJSONString(%q) = %q, encoding/json gives %q", s, out, want)
		}
	}
}

func TestAppendJSONStringAsEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", "<a&b>", "é<", "\x00\x1f\x7f", "\"\\", "\xff<", "\u2028", "\U0001F600", "a\xc3", "\xc3\x28",
	} {
		checkJSONString(t, []byte(s))
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "cat", "a\"b\\c", "\x00\n\t", "日本", "\xff\xfe", "\xe2\x82", "<&>", "\u2028"} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkJSONString)
}

// openPrinterTo returns a printer of trace open's lines to the buffer.
func openPrinterTo(out *bytes.Buffer, o *traceOpenOptions, start time.Time) *openPrinter {
	return &openPrinter{o: o, w: bufio.NewWriter(out), start: start}
}

// printed prints the events and returns the output.
func printed(t *testing.T, p *openPrinter, out *bytes.Buffer, es ...trace.OpenEvent) string {
	t.Helper()
	for i := range es {
		if err := p.print(&es[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.w.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

var traceStart = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

// catOpens are an open that succeeded and one that failed.
func catOpens() []trace.OpenEvent {
	return []trace.OpenEvent{{
		Time: traceStart.Add(1500 * time.Millisecond), PID: 4242, TID: 4243, UID: 1000, Comm: []byte("cat"),
		Path: []byte("/etc/passwd"), FD: 3, Flags: unix.O_RDONLY | unix.O_CLOEXEC, DirFD: -100, Syscall: "openat",
	}, {
		Time: traceStart.Add(2 * time.Second), PID: 4242, TID: 4242, UID: 1000, Comm: []byte("cat"),
		Path: []byte("nope"), FD: -1, Errno: unix.ENOENT, Flags: unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC,
		Mode: 0o644, DirFD: 7, Syscall: "creat",
	}}
}

func TestOpenPrinterText(t *testing.T) {
	var out bytes.Buffer
	p := openPrinterTo(&out, &traceOpenOptions{}, traceStart)
	p.header()
	want := "" +
		"PID     COMM              FD ERR PATH\n" +
		"4242    cat                3   0 /etc/passwd\n" +
		"4242    cat               -1   2 nope\n"
	if have := printed(t, p, &out, catOpens()...); have != want {
		t.Errorf("output:\n%s\nwant:\n%s", have, want)
	}
}

func TestOpenPrinterTextAllColumns(t *testing.T) {
	var out bytes.Buffer
	p := openPrinterTo(&out, &traceOpenOptions{timestamp: true, showUID: true, extended: true, container: true}, traceStart)
	p.containers = trace.NewContainers(func(string) string { return "web" })
	e := catOpens()
	self := uint32(os.Getpid()) // Containers reads the process's /proc/PID/cgroup
	for i := range e {
		e[i].PID = self
	}
	p.header()
	pid := strconv.Itoa(os.Getpid())
	pid += strings.Repeat(" ", 8-len(pid))
	want := "" +
		"TIME(s)      UID    PID     COMM             CONTAINER      FD ERR FLAGS                        PATH\n" +
		"1.500000     1000   " + pid + "cat              web             3   0 O_RDONLY|O_CLOEXEC           /etc/passwd\n" +
		"2.000000     1000   " + pid + "cat              web            -1   2 O_WRONLY|O_CREAT|O_TRUNC     nope\n"
	if have := printed(t, p, &out, e...); have != want {
		t.Errorf("output:\n%s\nwant:\n%s", have, want)
	}
}

func TestOpenPrinterTextFullPath(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	wd, err = filepath.EvalSymlinks(wd)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p := openPrinterTo(&out, &traceOpenOptions{fullPath: true}, traceStart)
	es := []trace.OpenEvent{
		// Resolved by this very thread's working directory.
		{PID: uint32(os.Getpid()), TID: uint32(unix.Gettid()), Comm: []byte("go"), Path: []byte("a/../b"), FD: 3, DirFD: -100},
		// Its thread gone: the path as it was.
		{PID: 1 << 30, TID: 1 << 30, Comm: []byte("gone"), Path: []byte("rel"), FD: 3, DirFD: -100},
		{PID: 1, TID: 1, Comm: []byte("init"), Path: []byte("/abs"), FD: 3, DirFD: -100},
	}
	want := "" +
		strconv.Itoa(os.Getpid()) + strings.Repeat(" ", 8-len(strconv.Itoa(os.Getpid()))) + "go                 3   0 " + wd + "/b\n" +
		"1073741824 gone               3   0 rel\n" +
		"1       init               3   0 /abs\n"
	if have := printed(t, p, &out, es...); have != want {
		t.Errorf("output:\n%s\nwant:\n%s", have, want)
	}
}

func TestOpenPrinterJSON(t *testing.T) {
	var out bytes.Buffer
	p := openPrinterTo(&out, &traceOpenOptions{asJSON: true}, traceStart)
	es := catOpens()
	es[0].Comm = []byte("we\"ird\x01\xff")
	want := "" +
		`{"time":"2026-12-03T08:00:01.5Z","pid":4242,"tid":4243,"uid":1000,"comm":"we\"ird\u0001\ufffd","fd":3,"errno":0,"error":"",` +
		`"flags":"O_RDONLY|O_CLOEXEC","flags_raw":` + strconv.Itoa(unix.O_CLOEXEC) + `,"mode":0,"syscall":"openat","dirfd":-100,"path":"/etc/passwd"}` + "\n" +
		`{"time":"2026-12-03T08:00:02Z","pid":4242,"tid":4242,"uid":1000,"comm":"cat","fd":-1,"errno":2,"error":"ENOENT",` +
		`"flags":"O_WRONLY|O_CREAT|O_TRUNC","flags_raw":577,"mode":420,"syscall":"creat","dirfd":7,"path":"nope"}` + "\n"
	if have := printed(t, p, &out, es...); have != want {
		t.Errorf("output:\n%s\nwant:\n%s", have, want)
	}
}

// documentedKeys are the JSON object keys a command's help shows, after
// the line that introduces its --json output.
func documentedKeys(t *testing.T, help string) []string {
	t.Helper()
	_, shape, ok := strings.Cut(help, "--json prints")
	if !ok {
		t.Fatalf("the help says nothing of --json:\n%s", help)
	}
	var keys []string
	for _, m := range regexp.MustCompile(`"([a-z_]+)":`).FindAllStringSubmatch(shape, -1) {
		keys = append(keys, m[1])
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// jsonKeys are the keys of the objects in a JSON value, nested ones
// included.
func jsonKeys(v any) []string {
	var keys []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			keys = append(keys, k)
			keys = append(keys, jsonKeys(x)...)
		}
	case []any:
		for _, x := range v {
			keys = append(keys, jsonKeys(x)...)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// Every field the help documents is printed, with the type it shows, and
// nothing else.
func TestOpenPrinterJSONDocumented(t *testing.T) {
	var out bytes.Buffer
	p := openPrinterTo(&out, &traceOpenOptions{asJSON: true, fullPath: true, container: true}, traceStart)
	p.containers = trace.NewContainers(func(string) string { return "web" })
	e := catOpens()[1]
	e.PID, e.TID = uint32(os.Getpid()), uint32(unix.Gettid())
	have := printed(t, p, &out, e)
	var v map[string]any
	if err := json.Unmarshal([]byte(have), &v); err != nil {
		t.Fatalf("%q: %v", have, err)
	}
	want := documentedKeys(t, newTraceOpenCmd(IO{}).Long)
	if diff := cmp.Diff(want, jsonKeys(v)); diff != "" {
		t.Errorf("keys printed and documented differ (-documented +printed):\n%s", diff)
	}
	if ts, err := time.Parse(time.RFC3339, v["time"].(string)); err != nil || !ts.Equal(e.Time) {
		t.Errorf("time %v: %v, want RFC 3339 %v", v["time"], err, e.Time)
	}
	for _, k := range []string{"pid", "tid", "uid", "fd", "errno", "flags_raw", "mode", "dirfd"} {
		if _, ok := v[k].(float64); !ok {
			t.Errorf("%s: %#v, want a number", k, v[k])
		}
	}
	for _, k := range []string{"comm", "error", "flags", "syscall", "path", "full_path", "container"} {
		if _, ok := v[k].(string); !ok {
			t.Errorf("%s: %#v, want a string", k, v[k])
		}
	}
	if v["container"] != "web" || v["error"] != "ENOENT" || v["syscall"] != "creat" || v["dirfd"] != 7.0 {
		t.Errorf("container %v, error %v, syscall %v, dirfd %v; want web, ENOENT, creat, 7", v["container"], v["error"], v["syscall"], v["dirfd"])
	}
}

// Only the fields the options ask for: no full_path without -F, no
// container without --container.
func TestOpenPrinterJSONOptionalFields(t *testing.T) {
	var out bytes.Buffer
	p := openPrinterTo(&out, &traceOpenOptions{asJSON: true}, traceStart)
	var v map[string]any
	if err := json.Unmarshal([]byte(printed(t, p, &out, catOpens()[0])), &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"full_path", "container"} {
		if _, ok := v[k]; ok {
			t.Errorf("%s printed without being asked for", k)
		}
	}
}

// What trace open --json prints, cost --from reads back.
func TestPathsFromTraceRoundTrip(t *testing.T) {
	var out bytes.Buffer
	p := openPrinterTo(&out, &traceOpenOptions{asJSON: true, fullPath: true}, traceStart)
	es := append(catOpens(), trace.OpenEvent{
		PID: uint32(os.Getpid()), TID: uint32(unix.Gettid()), Comm: []byte("go"), Path: []byte("testdata/x"), FD: 4, DirFD: -100,
	})
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	wd, err = filepath.EvalSymlinks(wd)
	if err != nil {
		t.Fatal(err)
	}
	have, relative, err := pathsFromTrace(strings.NewReader(printed(t, p, &out, es...)))
	if err != nil || relative != 0 {
		t.Fatal(relative, err)
	}
	if diff := cmp.Diff([]string{"/etc/passwd", wd + "/testdata/x"}, have); diff != "" {
		t.Errorf("pathsFromTrace mismatch (-want +have):\n%s", diff)
	}
}

func TestPathsFromTrace(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []string
		relative int // relative paths left out
		wantErr  string
		prefix   bool // wantErr begins the error; encoding/json says the rest
	}{{
		name: "full path preferred; failed and relative opens left out",
		in: `{"fd":3,"path":"/etc/passwd"}` + "\n" +
			`{"fd":4,"path":"rel","full_path":"/home/u/rel"}` + "\n" +
			`{"fd":-1,"errno":2,"path":"/nope"}` + "\n" +
			"\n" +
			`{"fd":-1,"path":"gone","full_path":"/gone"}` + "\n" +
			`{"fd":5,"path":"relative-only"}` + "\n" +
			`{"fd":6,"path":"/etc/passwd","full_path":""}` + "\n" +
			`  {"fd":0,"path":"/dev/null"}  ` + "\n" +
			`{"fd":7,"path":"/no/newline"}`,
		want:     []string{"/etc/passwd", "/home/u/rel", "/etc/passwd", "/dev/null", "/no/newline"},
		relative: 1,
	}, {
		name: "empty",
		in:   "",
	}, {
		name: "blank lines only",
		in:   "\n \n\t\n",
	}, {
		name: "failed opens only",
		in:   `{"fd":-1,"path":"a"}` + "\n" + `{"fd":-1,"path":"/b"}` + "\n",
	}, {
		name:    "all relative",
		in:      `{"fd":3,"path":"a"}` + "\n" + `{"fd":3,"path":"b"}` + "\n" + `{"fd":-1,"path":"/c"}` + "\n",
		wantErr: "all 2 opens have relative paths: trace with -F to resolve them",
	}, {
		name:    "malformed line, counted with the blank ones",
		in:      `{"fd":3,"path":"/a"}` + "\n\n" + "PID     COMM              FD ERR PATH\n",
		wantErr: "line 3: not an event of mihari trace open --json: invalid character 'P' looking for beginning of value",
	}, {
		name:    "a field of the wrong type",
		in:      `{"fd":"3","path":"/a"}`,
		wantErr: "line 1: not an event of mihari trace open --json: ",
		prefix:  true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, relative, err := pathsFromTrace(strings.NewReader(tt.in))
			if msg := errText(err); msg != tt.wantErr && !(tt.prefix && err != nil && strings.HasPrefix(msg, tt.wantErr)) {
				t.Errorf("error %q, want %q", msg, tt.wantErr)
			}
			if err == nil && relative != tt.relative {
				t.Errorf("%d relative paths left out, want %d", relative, tt.relative)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("pathsFromTrace mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

// errText is err's message, "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestWriteFilesText(t *testing.T) {
	files := []trace.FileUse{{
		Path: "/sys/fs/cgroup/memory/memory.stat", Dev: "0:30", Ino: 7, Opens: 12, Reads: 24, Bytes: 3 << 20,
		Time: 1500 * time.Millisecond, MaxRead: 250 * time.Millisecond,
		Procs: append(procs("kubelet", 1234), procs("cadvisor", 99)...),
	}, {
		Dev: "8:1", Ino: 4242, Reads: 1, Bytes: 10, Time: 800 * time.Nanosecond, MaxRead: 800 * time.Nanosecond,
		Procs: procs("cat", 7),
	}}
	var out bytes.Buffer
	if err := writeFilesText(&out, files); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"      TIME        MAX    READS      BYTES  OPENS  PROCESSES                      PATH\n" +
		"     1.50s    250.0ms       24     3.0MiB     12  kubelet[1234] cadvisor[99]     /sys/fs/cgroup/memory/memory.stat\n" +
		"     0.8µs      0.8µs        1        10B      0  cat[7]                         dev 8:1 inode 4242\n"
	if have := out.String(); have != want {
		t.Errorf("output:\n%s\nwant:\n%s", have, want)
	}
}

// Every field trace files' help documents is printed, and nothing else.
func TestWriteFilesJSONDocumented(t *testing.T) {
	r := &trace.FilesReport{
		Duration: 10 * time.Second,
		Files: []trace.FileUse{{
			Path: "/a", Dev: "8:1", Ino: 2, Opens: 1, Reads: 3, Bytes: 4, Time: 5 * time.Millisecond, MaxRead: 2 * time.Millisecond,
			Procs: []trace.ProcUse{{PID: 6, Comm: "cat", Opens: 1, Reads: 3, Bytes: 4, Time: 5 * time.Millisecond, MaxRead: 2 * time.Millisecond}},
		}},
		Counts: trace.Counts{ReadsFull: 7, FilesFull: 8},
	}
	var out bytes.Buffer
	if err := writeFilesJSON(&out, r, r.Files); err != nil {
		t.Fatal(err)
	}
	want := `{"duration_seconds":10,"files":[{"path":"/a","dev":"8:1","inode":2,"opens":1,"reads":3,"bytes":4,"seconds":0.005,"max_read_seconds":0.002,` +
		`"processes":[{"pid":6,"comm":"cat","opens":1,"reads":3,"bytes":4,"seconds":0.005,"max_read_seconds":0.002}]}],` +
		`"lost":{"reads_not_timed":7,"not_counted":8}}` + "\n"
	if have := out.String(); have != want {
		t.Errorf("output:\n%s\nwant:\n%s", have, want)
	}
	var v any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(documentedKeys(t, newTraceFilesCmd(IO{}).Long), jsonKeys(v)); diff != "" {
		t.Errorf("keys printed and documented differ (-documented +printed):\n%s", diff)
	}
	// No files is an empty list, not null.
	out.Reset()
	if err := writeFilesJSON(&out, &trace.FilesReport{}, nil); err != nil {
		t.Fatal(err)
	}
	if have, want := out.String(), `{"duration_seconds":0,"files":[],"lost":{"reads_not_timed":0,"not_counted":0}}`+"\n"; have != want {
		t.Errorf("no files: %s, want %s", have, want)
	}
}
