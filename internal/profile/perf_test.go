package profile

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// sampleRecord builds a PERF_RECORD_SAMPLE as the kernel writes it for the
// Sampler's sample type: ip, pid/tid, time, cpu, period, callchain.
func sampleRecord(ip uint64, pid, tid uint32, chain ...uint64) []byte {
	le := binary.LittleEndian
	var b []byte
	b = le.AppendUint32(b, unix.PERF_RECORD_SAMPLE)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, 0) // size, set below
	b = le.AppendUint64(b, ip)
	b = le.AppendUint32(b, pid)
	b = le.AppendUint32(b, tid)
	b = le.AppendUint64(b, 123456789) // time
	b = le.AppendUint32(b, 1)         // cpu
	b = le.AppendUint32(b, 0)
	b = le.AppendUint64(b, 10101010) // period
	b = le.AppendUint64(b, uint64(len(chain)))
	for _, a := range chain {
		b = le.AppendUint64(b, a)
	}
	le.PutUint16(b[6:], uint16(len(b)))
	return b
}

func TestParseSample(t *testing.T) {
	const k1, k2, u1, u2 = 0xffffffff81234567, 0xffffffff81000100, 0x401000, 0x402000
	tests := []struct {
		name         string
		rec          []byte
		ok           bool
		kernel, user []uint64
	}{
		{"kernel and user", sampleRecord(k1, 42, 43, contextKernel, k1, k2, contextUser, u1, u2), true, []uint64{k1, k2}, []uint64{u1, u2}},
		{"user only", sampleRecord(u1, 42, 43, contextUser, u1, u2), true, nil, []uint64{u1, u2}},
		{"kernel thread", sampleRecord(k1, 7, 7, contextKernel, k1), true, []uint64{k1}, nil},
		// A guest's frames are not ours to name; what follows the next
		// marker is.
		{"guest frames skipped", sampleRecord(u1, 1, 1, 1<<64-2048, 0x1234, contextUser, u1), true, nil, []uint64{u1}},
		{"no chain: the ip alone, user", sampleRecord(u1, 1, 1), true, nil, []uint64{u1}},
		{"no chain: the ip alone, kernel", sampleRecord(k1, 1, 1), true, []uint64{k1}, nil},
		{"too short", sampleRecord(u1, 1, 1)[:40], false, nil, nil},
	}
	for _, tt := range tests {
		var s Sample
		ok := parseSample(tt.rec, &s)
		if ok != tt.ok {
			t.Errorf("%s: ok %v, want %v", tt.name, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if want := binary.LittleEndian.Uint32(tt.rec[16:]); s.PID != want || s.TID != binary.LittleEndian.Uint32(tt.rec[20:]) {
			t.Errorf("%s: pid %d tid %d, want pid %d", tt.name, s.PID, s.TID, want)
		}
		if s.Period != 10101010 || s.CPU != 1 || s.Time != 123456789 {
			t.Errorf("%s: period %d cpu %d time %d", tt.name, s.Period, s.CPU, s.Time)
		}
		if diff := cmp.Diff(tt.kernel, s.Kernel, cmpNilEmpty); diff != "" {
			t.Errorf("%s: kernel (-want +have):\n%s", tt.name, diff)
		}
		if diff := cmp.Diff(tt.user, s.User, cmpNilEmpty); diff != "" {
			t.Errorf("%s: user (-want +have):\n%s", tt.name, diff)
		}
	}
	// A chain longer than the record says is refused, not read past.
	rec := sampleRecord(u1, 1, 1, contextUser, u1, u2)
	binary.LittleEndian.PutUint64(rec[48:], 1000)
	if parseSample(rec, new(Sample)) {
		t.Error("a chain of 1000 entries in a record of 2 was accepted")
	}
}

var cmpNilEmpty = cmp.Comparer(func(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
})

func TestParseComm(t *testing.T) {
	le := binary.LittleEndian
	var b []byte
	b = le.AppendUint32(b, unix.PERF_RECORD_COMM)
	b = le.AppendUint16(b, unix.PERF_RECORD_MISC_COMM_EXEC)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, 100)
	b = le.AppendUint32(b, 100)
	b = append(b, "kubelet\x00\x00\x00\x00\x00"...)
	c, ok := parseComm(b)
	if !ok || c != (Comm{PID: 100, TID: 100, Name: "kubelet", Exec: true}) {
		t.Errorf("parseComm = %+v, %v", c, ok)
	}
	if _, ok := parseComm(b[:12]); ok {
		t.Error("a record too short was accepted")
	}
}

func TestParseMmap2(t *testing.T) {
	le := binary.LittleEndian
	rec := func(prot uint32, path string) []byte {
		var b []byte
		b = le.AppendUint32(b, unix.PERF_RECORD_MMAP2)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, 200) // pid
		b = le.AppendUint32(b, 201) // tid
		b = le.AppendUint64(b, 0x7f0000000000)
		b = le.AppendUint64(b, 0x20000)
		b = le.AppendUint64(b, 0x1000)
		b = append(b, make([]byte, 24)...) // maj, min, ino, generation
		b = le.AppendUint32(b, prot)
		b = le.AppendUint32(b, 0) // flags
		return append(b, path+"\x00"...)
	}
	m, ok := parseMmap2(rec(unix.PROT_READ|unix.PROT_EXEC, "/usr/lib/libc.so.6"))
	want := Mmap{PID: 200, TID: 201, Start: 0x7f0000000000, Len: 0x20000, Pgoff: 0x1000, Path: "/usr/lib/libc.so.6"}
	if !ok || m != want {
		t.Errorf("parseMmap2 = %+v, %v; want %+v", m, ok, want)
	}
	// Data mappings name no code.
	if _, ok := parseMmap2(rec(unix.PROT_READ|unix.PROT_WRITE, "/data")); ok {
		t.Error("a mapping without PROT_EXEC was kept")
	}
}

// FuzzParseRecords: no record, however malformed, makes the parsers panic
// or read past it.
func FuzzParseRecords(f *testing.F) {
	f.Add(sampleRecord(0xffffffff81234567, 1, 2, contextKernel, 0xffffffff81234567, contextUser, 0x401000))
	f.Add(sampleRecord(0x401000, 1, 2))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Sample
		if parseSample(b, &s) && 8*(len(s.Kernel)+len(s.User)) > len(b) {
			t.Fatalf("%d addresses from a record of %d bytes", len(s.Kernel)+len(s.User), len(b))
		}
		parseComm(b)
		parseMmap2(b)
	})
}

// A record that wraps around the end of a ring is read whole.
func TestRingWrap(t *testing.T) {
	data := make([]byte, 128)
	r := &ring{data: data}
	rec := sampleRecord(0x401000, 5, 6, contextUser, 0x401000)
	if len(rec) > len(data) {
		t.Fatalf("record of %d bytes for a ring of %d", len(rec), len(data))
	}
	off := uint64(len(data) - 10) // 10 bytes before the end, the rest at the start
	for i, c := range rec {
		data[(int(off)+i)%len(data)] = c
	}
	have := r.record(off, uint64(len(rec)))
	if diff := cmp.Diff(rec, have); diff != "" {
		t.Errorf("wrapped record (-want +have):\n%s", diff)
	}
}
