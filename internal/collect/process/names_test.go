package process

import (
	"strings"
	"testing"
	"time"
)

func TestNamer(t *testing.T) {
	cfg := `
process_names:
  - comm: [bash, zsh]
  - name: "{{.ExeBase}}:{{.Matches.port}}"
    cmdline: ['--port=(?P<port>\d+)']
  - name: "docker-{{.ExeFull}}"
    exe: [/usr/bin/dockerd, containerd]
  - name: "{{.Username}}/{{.Comm}}"
    comm: [postgres]
  - name: "{{.Comm}}"
    cmdline: ['.+']
`
	n, err := ParseNamer([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if !n.NeedsCmdline || n.NeedsCgroup || !n.NeedsUser {
		t.Fatalf("needs cmdline=%v cgroup=%v user=%v", n.NeedsCmdline, n.NeedsCgroup, n.NeedsUser)
	}
	for _, tc := range []struct {
		a    Attrs
		want string
		ok   bool
	}{
		// The default template is {{.ExeBase}}, from argv[0].
		{Attrs{Comm: "bash", Cmdline: []string{"/bin/bash", "-l"}}, "bash", true},
		{Attrs{Comm: "server", Cmdline: []string{"/opt/app/server", "--port=8080"}}, "server:8080", true},
		{Attrs{Comm: "dockerd", Cmdline: []string{"/usr/bin/dockerd", "-H", "fd://"}}, "docker-/usr/bin/dockerd", true},
		// A full path must match exactly; a bare name matches any path.
		{Attrs{Comm: "dockerd", Cmdline: []string{"/opt/dockerd"}}, "dockerd", true},
		{Attrs{Comm: "containerd", Cmdline: []string{"/usr/local/bin/containerd"}}, "docker-/usr/local/bin/containerd", true},
		{Attrs{Comm: "postgres", Cmdline: []string{"postgres: writer"}, Username: "postgres"}, "postgres/postgres", true},
		// Kernel threads have no command line: '.+' does not match them.
		{Attrs{Comm: "kworker/0:1"}, "", false},
	} {
		have, ok := n.Name(tc.a)
		if have != tc.want || ok != tc.ok {
			t.Errorf("Name(%+v) = %q, %v; want %q, %v", tc.a, have, ok, tc.want, tc.ok)
		}
	}
}

func TestNamerTemplateFields(t *testing.T) {
	n, err := ParseNamer([]byte(`process_names: [{name: "{{.PID}} {{.StartTime.Unix}} {{index .Cgroups 0}}", comm: [x]}]`))
	if err != nil {
		t.Fatal(err)
	}
	if !n.NeedsCgroup {
		t.Fatal("template uses .Cgroups: the cgroup must be read")
	}
	have, ok := n.Name(Attrs{Comm: "x", PID: 42, Start: time.Unix(1700000000, 0), Cgroups: []string{"/system.slice/x.service"}})
	if !ok || have != "42 1700000000 /system.slice/x.service" {
		t.Fatalf("have %q, %v", have, ok)
	}
}

func TestByComm(t *testing.T) {
	have, ok := ByComm().Name(Attrs{Comm: "kworker/0:1"})
	if !ok || have != "kworker/0:1" {
		t.Fatalf("have %q %v", have, ok)
	}
}

func TestParseNamerErrors(t *testing.T) {
	for _, tc := range []struct{ cfg, want string }{
		{"", "no process_names entries"},
		{"process_names: [{name: x}]", "process_names[0]: no comm, exe or cmdline matcher"},
		{"process_names: [{cmdline: ['(']}]", `process_names[0]: cmdline regexp "("`},
		{"process_names: [{comm: [a], name: '{{.Comm'}]", `process_names[0]: name template "{{.Comm"`},
		{"process_names: [{comm: [a], nmae: x}]", "field nmae not found"},
	} {
		_, err := ParseNamer([]byte(tc.cfg))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseNamer(%q) = %v, want an error containing %q", tc.cfg, err, tc.want)
		}
	}
}

func TestParsePasswd(t *testing.T) {
	names := map[uint64]string{}
	parsePasswd([]byte("root:x:0:0:root:/root:/bin/bash\n# comment\nbad line\ndaemon:x:1:1::/:/usr/sbin/nologin\ntoor:x:0:0::/:/bin/sh\n:x:5:5::/:\n"), names)
	want := map[uint64]string{0: "root", 1: "daemon"}
	if len(names) != len(want) || names[0] != "root" || names[1] != "daemon" {
		t.Fatalf("have %v, want %v (the first name of an ID wins)", names, want)
	}
}
