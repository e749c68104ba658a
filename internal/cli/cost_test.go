package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mihari-dev/mihari/internal/cost"
)

// costDir makes files to measure, and a trace open --json output that
// names two of them, in a temporary directory, and returns it.
func costDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"a.txt", "b.txt", "c.log"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	trace := `{"fd":3,"path":"` + dir + `/c.log"}` + "\n" +
		`{"fd":4,"path":"b.txt","full_path":"` + dir + `/b.txt"}` + "\n" +
		`{"fd":-1,"path":"` + dir + `/missing"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "opens.json"), []byte(trace), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// badResult is a failed result as cmp shows it: its error as text.
type badResult struct {
	Path   string
	Status cost.Status
	Err    string
}

func TestCostPaths(t *testing.T) {
	dir := costDir(t)
	in := func(p ...string) []string {
		for i := range p {
			p[i] = filepath.Join(dir, p[i])
		}
		return p
	}
	tests := []struct {
		name      string
		args      []string
		from      string
		stdin     string
		want      []string
		wantBad   []badResult
		wantErr   string
		wantUsage bool // a usage error: exit status 2
	}{{
		name: "paths as given",
		args: in("c.log", "a.txt", "no-such-file"),
		want: in("c.log", "a.txt", "no-such-file"),
	}, {
		name: "globs, sorted, duplicates removed",
		args: in("*.txt", "c.log", "a.txt", "[ab].txt", "*"),
		want: in("a.txt", "b.txt", "c.log", "opens.json"),
	}, {
		name:    "a pattern that matches nothing",
		args:    in("*.none", "a.txt", "?.none"),
		want:    in("a.txt"),
		wantBad: []badResult{{dir + "/*.none", cost.Failed, "no file matches"}, {dir + "/?.none", cost.Failed, "no file matches"}},
	}, {
		name:      "a bad pattern",
		args:      []string{"a.txt", "[x"},
		wantErr:   "pattern [x: syntax error in pattern",
		wantUsage: true,
	}, {
		name:  "stdin with '-', after the arguments",
		args:  append([]string{"-"}, in("c.log")...),
		stdin: "/x\n  /y \n\n/x\n" + dir + "/c.log\n/z",
		want:  append(in("c.log"), "/x", "/y", "/z"),
	}, {
		name:  "stdin when no arguments are given",
		stdin: "/x\n/y\n",
		want:  []string{"/x", "/y"},
	}, {
		name:  "stdin not read when arguments are given",
		args:  in("a.txt"),
		stdin: "/x\n",
		want:  in("a.txt"),
	}, {
		name:  "--from, then the arguments",
		from:  dir + "/opens.json",
		args:  in("a.txt", "b.txt"),
		stdin: "/never/read\n",
		want:  in("c.log", "b.txt", "a.txt"),
	}, {
		name:  "--from stdin",
		from:  "-",
		stdin: `{"fd":3,"path":"/etc/hosts"}` + "\n",
		want:  []string{"/etc/hosts"},
	}, {
		name:      "--from stdin and '-'",
		from:      "-",
		args:      []string{"-"},
		stdin:     `{"fd":3,"path":"/etc/hosts"}` + "\n",
		wantErr:   "stdin cannot be both --from - and a list of paths",
		wantUsage: true,
	}, {
		name:    "--from a file that does not exist",
		from:    dir + "/nope.json",
		wantErr: "--from: open " + dir + "/nope.json: no such file or directory",
	}, {
		name:    "--from a file that is not trace open's",
		from:    dir + "/a.txt",
		wantErr: "--from " + dir + "/a.txt: line 1: not an event of mihari trace open --json: invalid character 'a' looking for beginning of value",
	}, {
		name:    "--from relative paths only",
		from:    "-",
		stdin:   `{"fd":3,"path":"x"}` + "\n",
		wantErr: "--from -: all 1 opens have relative paths: trace with -F to resolve them",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdio := IO{In: strings.NewReader(tt.stdin), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
			paths, bad, err := costPaths(stdio, &costOptions{from: tt.from}, tt.args)
			if errText(err) != tt.wantErr {
				t.Errorf("error %q, want %q", errText(err), tt.wantErr)
			}
			var ue usageError
			if errors.As(err, &ue) != tt.wantUsage {
				t.Errorf("error %v: usage error %v, want %v", err, !tt.wantUsage, tt.wantUsage)
			}
			if diff := cmp.Diff(tt.want, paths); diff != "" {
				t.Errorf("paths mismatch (-want +have):\n%s", diff)
			}
			var haveBad []badResult
			for _, r := range bad {
				haveBad = append(haveBad, badResult{r.Path, r.Status, errText(r.Err)})
			}
			if diff := cmp.Diff(tt.wantBad, haveBad); diff != "" {
				t.Errorf("failed results mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

// costResults are one result of each status, slowest first as
// cost.SortByWall leaves them.
func costResults() []cost.Result {
	return []cost.Result{{
		Path: "/mnt/nfs/stuck", Wall: 5 * time.Second, Bytes: 4096, Lines: 3, Status: cost.Hung,
	}, {
		Path: "/dev/zero", Wall: 2 * time.Second, System: 1900 * time.Millisecond, Bytes: 1 << 30, Status: cost.Truncated,
	}, {
		Path: "/proc/self/status", Wall: 1500 * time.Microsecond, User: 200 * time.Microsecond, System: 1200 * time.Microsecond,
		Bytes: 1536, Lines: 57, Status: cost.OK,
	}, {
		Path: "/empty", Status: cost.OK,
	}, {
		Path: "/nope", Status: cost.Failed, Err: &fs.PathError{Op: "open", Path: "/nope", Err: syscall.ENOENT},
	}, {
		Path: "/root/secret", Status: cost.Failed, Err: &fs.PathError{Op: "open", Path: "/root/secret", Err: syscall.EACCES},
	}, {
		Path: "/x/*.none", Status: cost.Failed, Err: errors.New("no file matches"),
	}, {
		Path: "/slow", Status: cost.Failed, Err: context.Canceled,
	}}
}

func TestWriteCostText(t *testing.T) {
	var out bytes.Buffer
	if err := writeCostText(&out, costResults()); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"      WALL       USER        SYS      BYTES    LINES  STATUS    PATH\n" +
		"    >5.00s          ?          ?     4.0KiB        3  hung      /mnt/nfs/stuck\n" +
		"     2.00s          0      1.90s     1.0GiB        0  truncated /dev/zero\n" +
		"     1.5ms    200.0µs      1.2ms     1.5KiB       57  ok        /proc/self/status\n" +
		"         0          0          0         0B        0  ok        /empty\n" +
		"         -          -          -          -        -  no such file or directory /nope\n" +
		"         -          -          -          -        -  permission denied /root/secret\n" +
		"         -          -          -          -        -  no file matches /x/*.none\n" +
		"         -          -          -          -        -  interrupted /slow\n"
	if have := out.String(); have != want {
		t.Errorf("output:\n%s\nwant:\n%s", have, want)
	}

	out.Reset()
	if err := writeCostText(&out, nil); err != nil {
		t.Fatal(err)
	}
	if have, want := out.String(), "      WALL       USER        SYS      BYTES    LINES  STATUS    PATH\n"; have != want {
		t.Errorf("no results: %q, want %q", have, want)
	}
}

func TestWriteCostJSON(t *testing.T) {
	var out bytes.Buffer
	if err := writeCostJSON(&out, costResults()); err != nil {
		t.Fatal(err)
	}
	want := `{"files":[` +
		`{"path":"/mnt/nfs/stuck","status":"hung","wall_seconds":5,"user_seconds":0,"system_seconds":0,"bytes":4096,"lines":3},` +
		`{"path":"/dev/zero","status":"truncated","wall_seconds":2,"user_seconds":0,"system_seconds":1.9,"bytes":1073741824,"lines":0},` +
		`{"path":"/proc/self/status","status":"ok","wall_seconds":0.0015,"user_seconds":0.0002,"system_seconds":0.0012,"bytes":1536,"lines":57},` +
		`{"path":"/empty","status":"ok","wall_seconds":0,"user_seconds":0,"system_seconds":0,"bytes":0,"lines":0},` +
		`{"path":"/nope","status":"error","error":"no such file or directory","wall_seconds":0,"user_seconds":0,"system_seconds":0,"bytes":0,"lines":0},` +
		`{"path":"/root/secret","status":"error","error":"permission denied","wall_seconds":0,"user_seconds":0,"system_seconds":0,"bytes":0,"lines":0},` +
		`{"path":"/x/*.none","status":"error","error":"no file matches","wall_seconds":0,"user_seconds":0,"system_seconds":0,"bytes":0,"lines":0},` +
		`{"path":"/slow","status":"error","error":"interrupted","wall_seconds":0,"user_seconds":0,"system_seconds":0,"bytes":0,"lines":0}` +
		"]}\n"
	if have := out.String(); have != want {
		t.Errorf("output:\n%s\nwant:\n%s", have, want)
	}

	// Every field the help documents, and nothing else.
	var v any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(documentedKeys(t, newCostCmd(IO{}).Long), jsonKeys(v)); diff != "" {
		t.Errorf("keys printed and documented differ (-documented +printed):\n%s", diff)
	}

	out.Reset()
	if err := writeCostJSON(&out, nil); err != nil {
		t.Fatal(err)
	}
	if have, want := out.String(), `{"files":[]}`+"\n"; have != want {
		t.Errorf("no results: %q, want %q", have, want)
	}
}
