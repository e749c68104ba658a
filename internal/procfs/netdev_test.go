package procfs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const netDevHeader = "Inter-|   Receive                                                |  Transmit\n" +
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"

// netDev1To16 is the line of an interface whose counters are 1 to 16.
var netDev1To16 = NetDevLine{
	RxBytes: 1, RxPackets: 2, RxErrors: 3, RxDropped: 4, RxFIFO: 5, RxFrame: 6, RxCompressed: 7, RxMulticast: 8,
	TxBytes: 9, TxPackets: 10, TxErrors: 11, TxDropped: 12, TxFIFO: 13, TxCollisions: 14, TxCarrier: 15, TxCompressed: 16,
}

// named returns l named name.
func named(l NetDevLine, name string) NetDevLine {
	l.Name = name
	return l
}

func TestParseNetDev(t *testing.T) {
	const counters = "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16"
	tests := []struct {
		name    string
		in      string
		want    []NetDevLine
		wantErr string
	}{{
		name: "header and two interfaces",
		in:   netDevHeader + "    lo: " + counters + "\n  eth0:    " + counters + "\n",
		want: []NetDevLine{named(netDev1To16, "lo"), named(netDev1To16, "eth0")},
	}, {
		name: "first counter glued to the colon",
		in:   netDevHeader + "  eth0:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
		want: []NetDevLine{named(netDev1To16, "eth0")},
	}, {
		name: "long name",
		in:   "verylongname123: " + counters,
		want: []NetDevLine{named(netDev1To16, "verylongname123")},
	}, {
		name: "no header",
		in:   "eth0: " + counters + "\n",
		want: []NetDevLine{named(netDev1To16, "eth0")},
	}, {
		name: "counters a later kernel might add are ignored",
		in:   "eth0: " + counters + " 17 x\n",
		want: []NetDevLine{named(netDev1To16, "eth0")},
	}, {
		name:    "bad lines among good ones",
		in:      netDevHeader + "eth0 " + counters + "\nlo: " + counters + "\n: " + counters + "\neth1: 1 2 3\neth2: " + strings.Replace(counters, "9", "x", 1) + "\n",
		want:    []NetDevLine{named(netDev1To16, "lo")},
		wantErr: `4 malformed lines, the first: line 3 "eth0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16": no colon after the interface name`,
	}, {
		name:    "empty name",
		in:      ": " + counters,
		want:    []NetDevLine{},
		wantErr: `line 1 ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16": no interface name`,
	}, {
		name:    "too few counters",
		in:      "eth1: 1 2 3",
		want:    []NetDevLine{},
		wantErr: `line 1 "eth1: 1 2 3": want 16 counters, have 3`,
	}, {
		name:    "glued counter not a number",
		in:      "eth1:x 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
		want:    []NetDevLine{},
		wantErr: `line 1 "eth1:x 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16": counter 1: strconv.ParseUint: parsing "x": invalid syntax`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseNetDev([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseNetDev() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParseNetDevFixtures(t *testing.T) {
	tests := []struct {
		tree    string
		lines   int
		want    map[int]NetDevLine
		wantErr string
	}{{
		tree:  "vm",
		lines: 4,
		want: map[int]NetDevLine{
			0: {Name: "lo", RxBytes: 3193, RxPackets: 29, TxBytes: 3193, TxPackets: 29},
			1: {Name: "ifb0"},
			3: {Name: "eth0", RxBytes: 32170855, RxPackets: 1508, TxBytes: 154561, TxPackets: 1393},
		},
	}, {
		tree:  "big",
		lines: 100,
		want: map[int]NetDevLine{
			0: {Name: "lo", RxBytes: 14655785263416, RxPackets: 30155936756, RxMulticast: 13432488,
				TxBytes: 4773246185736, TxPackets: 37882906236},
			15: {Name: "bond0.190", RxBytes: 31296245847300, RxPackets: 34773606497, RxMulticast: 7428670,
				TxBytes: 41535745500065, TxPackets: 31586118251},
			36: {Name: "virbr0", RxBytes: 26506307791795, RxPackets: 44250931205, RxMulticast: 12136843,
				TxBytes: 175779593748, TxPackets: 147962621},
			99: {Name: "veth6044afd", RxBytes: 1992442797400, RxPackets: 16466469400, RxMulticast: 4366605,
				TxBytes: 1544671272066, TxPackets: 19803477847},
		},
	}, {
		// No header: the interfaces are all there, and only the cut line
		// is an error.
		tree:  "malformed",
		lines: 2,
		want: map[int]NetDevLine{
			0: {Name: "lo", RxBytes: 3193, RxPackets: 29, TxBytes: 3193, TxPackets: 29},
			1: {Name: "eth0", RxBytes: 32170855, RxPackets: 1508, TxBytes: 154561, TxPackets: 1393},
		},
		wantErr: `line 3 "  eth1: 1024 8 0 0 0 0 0 0 2048 16 0 0 0": want 16 counters, have 13`,
	}}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			have, err := ParseNetDev(readFixture(t, tt.tree, "net/dev"))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if len(have) != tt.lines {
				t.Fatalf("have %d interfaces, want %d", len(have), tt.lines)
			}
			for i, want := range tt.want {
				if diff := cmp.Diff(want, have[i]); diff != "" {
					t.Errorf("interface %d mismatch (-want +have):\n%s", i, diff)
				}
			}
		})
	}
}

func TestParseNetDevBigErrors(t *testing.T) {
	devs, err := ParseNetDev(readFixture(t, "big", "net/dev"))
	if err != nil {
		t.Fatal(err)
	}
	// gen.go gives errors and drops to the four NICs only.
	var withErrors []string
	for _, d := range devs {
		if d.RxErrors > 0 || d.RxDropped > 0 {
			withErrors = append(withErrors, d.Name)
		}
	}
	if diff := cmp.Diff([]string{"eno1", "eno2", "ens1f0np0", "ens1f1np1"}, withErrors); diff != "" {
		t.Errorf("interfaces with errors (-want +have):\n%s", diff)
	}
}

func FuzzParseNetDev(f *testing.F) {
	addFixtureSeeds(f, "net/dev",
		"eth0:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
		"a:b:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
		":",
		"|\n|\n",
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		devs, _ := ParseNetDev(b)
		if len(devs) > lineCount(b) {
			t.Fatalf("%d interfaces from %d lines", len(devs), lineCount(b))
		}
		for _, d := range devs {
			if d.Name == "" {
				t.Fatalf("interface without a name: %+v", d)
			}
		}
	})
}

func BenchmarkParseNetDev(b *testing.B) {
	in := readFixture(b, "big", "net/dev")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseNetDev(in); err != nil {
			b.Fatal(err)
		}
	}
}
