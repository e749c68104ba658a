package process

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"

	"go.yaml.in/yaml/v3"
)

// Namer puts processes into named groups with process-exporter's
// configuration format:
//
//	process_names:
//	  - name: "{{.Comm}}"          # template; default {{.ExeBase}}
//	    comm: [bash, sh]           # comm (/proc/PID/comm) is one of these
//	    exe: [/usr/bin/dockerd]    # argv[0] is one of these (a bare name matches the base name)
//	    cmdline: ['--port=(?P<port>\d+)']  # every regexp matches the command line
//
// A process belongs to the first entry all of whose matchers match it; a
// process that matches none is not reported (unless its parent is, see
// Options). The name templates see .Comm, .ExeBase, .ExeFull, .Username,
// .PID, .StartTime, .Cgroups and .Matches (the named captures of the
// cmdline regexps).
type Namer struct {
	rules []rule
	// NeedsCmdline and NeedsCgroup say what the rules need to be read.
	NeedsCmdline, NeedsCgroup, NeedsUser bool
}

type rule struct {
	comms    map[string]bool
	exes     map[string]string // base name -> full path, or "" to match any path
	cmdlines []*regexp.Regexp
	tmpl     *template.Template
	raw      string
}

// Attrs are what a rule sees of a process.
type Attrs struct {
	Comm     string
	Cmdline  []string
	Username string
	PID      int
	Start    time.Time
	Cgroups  []string
}

// templateParams are the fields a name template may use; the names are
// process-exporter's.
type templateParams struct {
	Cgroups   []string
	Comm      string
	ExeBase   string
	ExeFull   string
	Username  string
	PID       int
	StartTime time.Time
	Matches   map[string]string
}

type yamlConfig struct {
	ProcessNames []struct {
		Name    string   `yaml:"name"`
		Comm    []string `yaml:"comm"`
		Exe     []string `yaml:"exe"`
		Cmdline []string `yaml:"cmdline"`
	} `yaml:"process_names"`
}

// ByComm groups every process by its comm: mihari's grouping without a
// configuration file.
func ByComm() *Namer {
	tmpl := template.Must(template.New("name").Parse("{{.Comm}}"))
	return &Namer{rules: []rule{{tmpl: tmpl, raw: "{{.Comm}}"}}}
}

// ReadNamer reads a process-exporter configuration file.
func ReadNamer(path string) (*Namer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	n, err := ParseNamer(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// ParseNamer parses a process-exporter configuration.
func ParseNamer(b []byte) (*Namer, error) {
	var cfg yamlConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parsing process_names: %w", err)
	}
	if len(cfg.ProcessNames) == 0 {
		return nil, fmt.Errorf("no process_names entries")
	}
	n := &Namer{}
	for i, e := range cfg.ProcessNames {
		r := rule{raw: e.Name}
		if e.Comm != nil {
			r.comms = map[string]bool{}
			for _, c := range e.Comm {
				r.comms[c] = true
			}
		}
		if e.Exe != nil {
			r.exes = map[string]string{}
			for _, x := range e.Exe {
				if strings.Contains(x, "/") {
					r.exes[filepath.Base(x)] = x
				} else {
					r.exes[x] = ""
				}
			}
			n.NeedsCmdline = true
		}
		for _, c := range e.Cmdline {
			re, err := regexp.Compile(c)
			if err != nil {
				return nil, fmt.Errorf("process_names[%d]: cmdline regexp %q: %w", i, c, err)
			}
			r.cmdlines = append(r.cmdlines, re)
			n.NeedsCmdline = true
		}
		if r.comms == nil && r.exes == nil && r.cmdlines == nil {
			return nil, fmt.Errorf("process_names[%d]: no comm, exe or cmdline matcher", i)
		}
		name := e.Name
		if name == "" {
			name = "{{.ExeBase}}"
		}
		tmpl, err := template.New("name").Option("missingkey=zero").Parse(name)
		if err != nil {
			return nil, fmt.Errorf("process_names[%d]: name template %q: %w", i, name, err)
		}
		r.tmpl, r.raw = tmpl, name
		for _, field := range []string{".ExeBase", ".ExeFull"} {
			if strings.Contains(name, field) {
				n.NeedsCmdline = true
			}
		}
		if strings.Contains(name, ".Cgroups") {
			n.NeedsCgroup = true
		}
		if strings.Contains(name, ".Username") {
			n.NeedsUser = true
		}
		n.rules = append(n.rules, r)
	}
	return n, nil
}

// Name returns the group of a process, or false when no rule matches.
func (n *Namer) Name(a Attrs) (string, bool) {
	for _, r := range n.rules {
		matches, ok := r.match(a)
		if !ok {
			continue
		}
		exeFull, exeBase := a.Comm, a.Comm
		if len(a.Cmdline) > 0 {
			exeFull = a.Cmdline[0]
			exeBase = filepath.Base(exeFull)
		}
		var buf bytes.Buffer
		err := r.tmpl.Execute(&buf, templateParams{
			Cgroups:   a.Cgroups,
			Comm:      a.Comm,
			ExeBase:   exeBase,
			ExeFull:   exeFull,
			Username:  a.Username,
			PID:       a.PID,
			StartTime: a.Start,
			Matches:   matches,
		})
		if err != nil {
			return "", false
		}
		return buf.String(), true
	}
	return "", false
}

// match applies a rule's matchers, all of which must match, and returns the
// named captures of its cmdline regexps.
func (r *rule) match(a Attrs) (map[string]string, bool) {
	if r.comms != nil && !r.comms[a.Comm] {
		return nil, false
	}
	if r.exes != nil {
		if len(a.Cmdline) == 0 {
			return nil, false
		}
		full, ok := r.exes[filepath.Base(a.Cmdline[0])]
		if !ok || (full != "" && full != a.Cmdline[0]) {
			return nil, false
		}
	}
	var matches map[string]string
	if r.cmdlines != nil {
		line := strings.Join(a.Cmdline, " ")
		matches = map[string]string{}
		for _, re := range r.cmdlines {
			sub := re.FindStringSubmatch(line)
			if sub == nil {
				return nil, false
			}
			for i, name := range re.SubexpNames() {
				matches[name] = sub[i]
			}
		}
	}
	return matches, true
}
