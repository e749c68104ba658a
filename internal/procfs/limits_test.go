package procfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// limitsHeader is the first line of /proc/[pid]/limits.
const limitsHeader = "Limit                     Soft Limit           Hard Limit           Units     \n"

// limitsRows are rows of /proc/[pid]/limits as the kernel pads them, with
// and without a unit.
const limitsRows = "Max processes             95830                95830                processes \n" +
	"Max open files            1024                 524288               files     \n" +
	"Max locked memory         8388608              8388608              bytes     \n" +
	"Max address space         unlimited            unlimited            bytes     \n" +
	"Max nice priority         0                    0                    \n" +
	"Max realtime timeout      unlimited            unlimited            us        \n"

func TestParseLimits(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Limits
		wantErr string
	}{{
		name: "kernel's layout",
		in:   limitsHeader + limitsRows,
		want: Limits{
			OpenFiles:    Limit{Soft: 1024, Hard: 524288},
			AddressSpace: Limit{Soft: Unlimited, Hard: Unlimited},
		},
	}, {
		name: "single spaces, a tab, no unit, no header, largest number",
		in:   "Max address space 18446744073709551614 unlimited\nMax open files\t7 8",
		want: Limits{
			OpenFiles:    Limit{Soft: 7, Hard: 8},
			AddressSpace: Limit{Soft: 18446744073709551614, Hard: Unlimited},
		},
	}, {
		name: "unknown and short rows ignored",
		in:   "Max open files 1 2 files\nMax open 3\nfiles\n\nMax address space 4 5 bytes\nMax widgets 6 7 widgets\n",
		want: Limits{OpenFiles: Limit{Soft: 1, Hard: 2}, AddressSpace: Limit{Soft: 4, Hard: 5}},
	}, {
		name:    "empty",
		in:      "",
		wantErr: `no "Max open files" row`,
	}, {
		name:    "header only",
		in:      limitsHeader,
		wantErr: `no "Max open files" row`,
	}, {
		name:    "no address space",
		in:      "Max open files 1 2 files\n",
		wantErr: `no "Max address space" row`,
	}, {
		name:    "soft limit not a number",
		in:      limitsHeader + "Max open files            lots                 524288               files     \n",
		wantErr: `line 2 "Max open files            lots                 524288               files     ": soft limit: strconv.ParseUint: parsing "lots": invalid syntax`,
	}, {
		name:    "hard limit negative",
		in:      "Max address space  unlimited  -1  bytes\n",
		wantErr: `line 1 "Max address space  unlimited  -1  bytes": hard limit: strconv.ParseUint: parsing "-1": invalid syntax`,
	}, {
		name:    "soft limit overflows",
		in:      "Max open files 18446744073709551616 1 files\n",
		wantErr: `line 1 "Max open files 18446744073709551616 1 files": soft limit: strconv.ParseUint: parsing "18446744073709551616": value out of range`,
	}, {
		// Without a unit, a bad hard limit is taken for the unit; the
		// name then loses a word and the row is not recognised.
		name:    "bad hard limit of a row without a unit",
		in:      "Max open files 1 x\nMax address space 1 2\n",
		wantErr: `no "Max open files" row`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseLimits([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Fatalf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseLimits() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParseLimitsFixtures(t *testing.T) {
	unlimited := Limit{Soft: Unlimited, Hard: Unlimited}
	tests := map[string]Limits{
		"real/1":     {OpenFiles: Limit{Soft: 32768, Hard: 32768}, AddressSpace: unlimited},
		"real/2":     {OpenFiles: Limit{Soft: 1024, Hard: 4096}, AddressSpace: unlimited},
		"real/12540": {OpenFiles: Limit{Soft: 20000, Hard: 20000}, AddressSpace: unlimited},
		"real/12545": {OpenFiles: Limit{Soft: 20000, Hard: 20000}, AddressSpace: unlimited},
		"1":          {OpenFiles: Limit{Soft: 1073741816, Hard: 1073741816}, AddressSpace: unlimited},
		"2":          {OpenFiles: Limit{Soft: 1024, Hard: 4096}, AddressSpace: unlimited},
		"3323":       {OpenFiles: Limit{Soft: 1048576, Hard: 1048576}, AddressSpace: Limit{Soft: 34359738368, Hard: 34359738368}},
		"1266093":    {OpenFiles: Limit{Soft: 1048576, Hard: 1048576}, AddressSpace: Limit{Soft: 8589934592, Hard: 8589934592}},
	}
	for dir, want := range tests {
		t.Run(dir, func(t *testing.T) {
			have, err := ParseLimits(readProcsFixture(t, dir+"/limits"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, have); diff != "" {
				t.Errorf("ParseLimits() mismatch (-want +have):\n%s", diff)
			}
		})
	}
	n := 0
	for _, pid := range procsFixturePIDs(t) {
		b, err := os.ReadFile(filepath.Join(procsDir, strconv.Itoa(pid), "limits"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseLimits(b); err != nil {
			t.Errorf("%d: %v", pid, err)
		}
		n++
	}
	if n != 994 {
		t.Errorf("parsed %d limits files, want 994", n)
	}
}

func FuzzParseLimits(f *testing.F) {
	addProcsSeeds(f, "limits",
		limitsHeader+limitsRows,
		"Max open files 1 2\nMax address space 3 4",
		"Max open files unlimited x files\nMax address space",
		"  \t \n Max open files",
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLimits(b)
		if err != nil && l != (Limits{}) {
			t.Fatalf("error %v with non-zero Limits %+v", err, l)
		}
	})
}
