package cgroupfs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

func TestParseBlkio(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      []BlkioEntry
		wantTotal uint64
		wantErr   string
	}{{
		name: "one device",
		in:   "8:0 Read 1234\n8:0 Write 5\n8:0 Sync 1000\n8:0 Async 240\n8:0 Discard 1\n8:0 Total 1240\nTotal 1240\n",
		want: []BlkioEntry{
			{8, 0, "Read", 1234}, {8, 0, "Write", 5}, {8, 0, "Sync", 1000},
			{8, 0, "Async", 240}, {8, 0, "Discard", 1}, {8, 0, "Total", 1240},
		},
		wantTotal: 1240,
	}, {
		name:      "no I/O",
		in:        "Total 0\n",
		want:      []BlkioEntry{},
		wantTotal: 0,
	}, {
		name: "unknown operation, blank lines, tabs, no final newline",
		in:   "\n253:17\tRead\t2\n\n253:17 Flush 3\n  \nTotal 5",
		want: []BlkioEntry{
			{253, 17, "Read", 2}, {253, 17, "Flush", 3},
		},
		wantTotal: 5,
	}, {
		name:      "no Total line",
		in:        "8:0 Read 1\n",
		want:      []BlkioEntry{{8, 0, "Read", 1}},
		wantTotal: 0,
	}, {
		name:      "largest numbers",
		in:        "4294967295:4294967295 Total 18446744073709551615\nTotal 18446744073709551615\n",
		want:      []BlkioEntry{{4294967295, 4294967295, "Total", 18446744073709551615}},
		wantTotal: 18446744073709551615,
	}, {
		name:      "empty",
		in:        "",
		want:      []BlkioEntry{},
		wantTotal: 0,
	}, {
		name: "bad lines among good ones",
		in: "8:0 Read 1\n8 Read 2\n8:x Read 3\n4294967296:0 Read 4\n8:0 Read\n8:0 Read 1 2\n" +
			"8:0 Read -1\nTotal\nTotal 1\nTotal 2\n8:16 Write 7\n",
		want:      []BlkioEntry{{8, 0, "Read", 1}, {8, 16, "Write", 7}},
		wantTotal: 1,
		wantErr:   `8 malformed lines, the first: line 2 "8 Read 2": device "8" is not major:minor`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, total, err := ParseBlkio([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if total != tt.wantTotal {
				t.Errorf("total: have %d, want %d", total, tt.wantTotal)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseBlkio() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParseBlkioBadLineErrors(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"8:x Read 3", `line 1 "8:x Read 3": minor: strconv.ParseUint: parsing "x": invalid syntax`},
		{"4294967296:0 Read 4", `line 1 "4294967296:0 Read 4": major: strconv.ParseUint: parsing "4294967296": value out of range`},
		{"8:0", `line 1 "8:0": no operation`},
		{"8:0 Read", `line 1 "8:0 Read": no value`},
		{"8:0 Read 1 2", `line 1 "8:0 Read 1 2": text " 2" after the value`},
		{"8:0 Read -1", `line 1 "8:0 Read -1": strconv.ParseUint: parsing "-1": invalid syntax`},
		{"Total", `line 1 "Total": no value`},
		{"Total 1\nTotal 2", `line 2 "Total 2": second "Total" line`},
	}
	for _, tt := range tests {
		_, _, err := ParseBlkio([]byte(tt.in))
		if have := errString(err); have != tt.wantErr {
			t.Errorf("ParseBlkio(%q) error: have %q, want %q", tt.in, have, tt.wantErr)
		}
	}
}

// TestParseBlkioIncident parses the 2,071-line file of 345 devices.
func TestParseBlkioIncident(t *testing.T) {
	entries, total, err := ParseBlkio(readFixture(t, incidentFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2070 {
		t.Fatalf("%d entries, want 2070", len(entries))
	}
	// The values of blkio.throttle.io_serviced.2071, copied by hand.
	for i, want := range map[int]BlkioEntry{
		0:    {8, 0, "Read", 0},
		5:    {8, 0, "Total", 0},
		6:    {253, 0, "Read", 47337931},
		11:   {253, 0, "Total", 86220738},
		2064: {252, 1824, "Read", 75736670},
		2068: {252, 1824, "Discard", 562},
		2069: {252, 1824, "Total", 78540954},
	} {
		if entries[i] != want {
			t.Errorf("entries[%d] = %+v, want %+v", i, entries[i], want)
		}
	}
	if total != 21544856300 {
		t.Errorf("total = %d, want 21544856300", total)
	}
	// Per device: six lines in order, Total = Read + Write + Discard =
	// Sync + Async; over devices: the Totals sum to the last line.
	ops := []string{"Read", "Write", "Sync", "Async", "Discard", "Total"}
	var sum uint64
	devices := map[[2]uint32]bool{}
	for i := 0; i < len(entries); i += len(ops) {
		e := entries[i : i+len(ops)]
		dev := [2]uint32{e[0].Major, e[0].Minor}
		devices[dev] = true
		for j, op := range ops {
			if e[j].Op != op || [2]uint32{e[j].Major, e[j].Minor} != dev {
				t.Fatalf("entries[%d] = %+v, want %s of %d:%d", i+j, e[j], op, dev[0], dev[1])
			}
		}
		read, write, syncIO, async, discard, tot := e[0].Value, e[1].Value, e[2].Value, e[3].Value, e[4].Value, e[5].Value
		if tot != read+write+discard || tot != syncIO+async {
			t.Errorf("%d:%d: Read %d Write %d Discard %d Sync %d Async %d Total %d", dev[0], dev[1], read, write, discard, syncIO, async, tot)
		}
		sum += tot
	}
	if len(devices) != 345 {
		t.Errorf("%d devices, want 345", len(devices))
	}
	if sum != total {
		t.Errorf("device Totals sum to %d, the Total line says %d", sum, total)
	}
}

// TestParseBlkioAllocs checks that a file costs one allocation, the
// result, whatever its length, and one more when it has unknown
// operations.
func TestParseBlkioAllocs(t *testing.T) {
	incident := readFixture(t, incidentFile)
	var unknown strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&unknown, "8:%d Flush %d\n", i, i)
	}
	for _, tt := range []struct {
		name string
		in   []byte
		want float64
	}{
		{"known operations", incident, 1},
		{"unknown operations", []byte(unknown.String()), 2},
	} {
		allocs := testing.AllocsPerRun(20, func() {
			if _, _, err := ParseBlkio(tt.in); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != tt.want {
			t.Errorf("%s: %v allocations, want %v", tt.name, allocs, tt.want)
		}
	}
}

func TestParseBlkioFixtures(t *testing.T) {
	const pg = "v1/blkio/kubepods/poda664dae7-e475-4e12-a07a-81de7f47ff2b/d64f9818a31998aacde0d0a241fa3a7e129e7604ffd2cb20caf1cbcec793e0f2/"
	tests := []struct {
		file      string
		want      []BlkioEntry
		wantTotal uint64
	}{
		{"real/blkio/blkio.throttle.io_serviced", []BlkioEntry{}, 0},
		{"real/blkio/blkio.bfq.io_serviced", []BlkioEntry{}, 0},
		{pg + "blkio.throttle.io_serviced", []BlkioEntry{
			{8, 0, "Read", 52530339}, {8, 0, "Write", 45258260}, {8, 0, "Sync", 86474034},
			{8, 0, "Async", 11314565}, {8, 0, "Discard", 0}, {8, 0, "Total", 97788599},
		}, 97788599},
		{pg + "blkio.bfq.io_serviced", []BlkioEntry{
			{8, 0, "Read", 47277305}, {8, 0, "Write", 36206608}, {8, 0, "Sync", 74432261},
			{8, 0, "Async", 9051652}, {8, 0, "Discard", 0}, {8, 0, "Total", 83483913},
		}, 83483913},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			have, total, err := ParseBlkio(readFixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if total != tt.wantTotal {
				t.Errorf("total: have %d, want %d", total, tt.wantTotal)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseBlkio() mismatch (-want +have):\n%s", diff)
			}
		})
	}
	files := fixtureFiles(t, "blkio.throttle.io_serviced", "blkio.throttle.io_service_bytes",
		"blkio.bfq.io_serviced", "blkio.bfq.io_service_bytes")
	if len(files) < 100 {
		t.Fatalf("only %d files", len(files))
	}
	for name, b := range files {
		entries, total, err := ParseBlkio(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var sum uint64
		for _, e := range entries {
			if e.Op == "Total" {
				sum += e.Value
			}
		}
		if sum != total {
			t.Errorf("%s: device Totals sum to %d, the Total line says %d", name, sum, total)
		}
	}
}

func FuzzParseBlkio(f *testing.F) {
	f.Add(readFixture(f, incidentFile))
	addFixtureSeeds(f, "blkio.throttle.io_serviced",
		"Total 0", "8:0 Read 1\nTotal 1", "8:0 Flush 1", ":", "8: Read 1", ":0 Read 1", "Total 1\nTotal 2",
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, total, err := ParseBlkio(b)
		if len(entries) > lineCount(b) {
			t.Fatalf("%d entries from %d lines", len(entries), lineCount(b))
		}
		if total != 0 && !strings.Contains(string(b), "Total") {
			t.Fatalf("total %d without a Total line", total)
		}
		for _, e := range entries {
			if e.Op == "" || strings.ContainsAny(e.Op, " \t\n") || !strings.Contains(string(b), e.Op) {
				t.Fatalf("bad entry %+v", e)
			}
		}
		_ = err
		// The fast path must agree with the slow one on every line it
		// takes.
		for rest := b; len(rest) > 0; {
			var line []byte
			line, rest = kerneltext.NextLine(rest)
			fast, op, _, ok := scanBlkioLine(line)
			if !ok {
				continue
			}
			dev, tail := kerneltext.NextField(line)
			slow, slowOp, err := parseBlkioLine(dev, tail)
			if err != nil {
				t.Fatalf("%q: fast path took it, slow path says %v", line, err)
			}
			if fast.Op != "" {
				op = []byte(fast.Op)
				fast.Op = ""
			}
			if fast != slow || string(op) != string(slowOp) {
				t.Fatalf("%q: fast path %+v %q, slow path %+v %q", line, fast, op, slow, slowOp)
			}
		}
	})
}

func BenchmarkParseBlkio(b *testing.B) {
	in := readFixture(b, incidentFile)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseBlkio(in); err != nil {
			b.Fatal(err)
		}
	}
}
