package rules

import (
	"fmt"
	"io"
	"strings"

	"github.com/prometheus/common/model"
)

// Check validates rule files as `promtool check rules` does and writes one
// report per file to w:
//
//	Checking FILE
//	  SUCCESS: N rules found
//
// or
//
//	Checking FILE
//	  FAILED:
//	    FILE: LINE:COL: group "G", rule I, "NAME": what is wrong
//
// It parses the YAML strictly (unknown fields are errors), parses every
// expression, and checks that group names are unique in a file, that only
// alerting rules have `for` and `keep_firing_for`, that label names and
// values are valid and that alerting rules' label and annotation templates
// parse. DefaultsArg checks the embedded default pack (reported as
// DefaultsName, "built in"). It returns false if any file fails.
func Check(w io.Writer, files ...string) bool {
	ok := true
	for _, f := range files {
		id := f
		switch f {
		case DefaultsArg:
			id = DefaultsName
			f = DefaultsName + " (built in)"
		case DefaultsName:
			id = "./" + f // the file, not the embedded pack
		}
		fmt.Fprintf(w, "Checking %s\n", f)
		n, errs := checkFile(id)
		if len(errs) > 0 {
			ok = false
			fmt.Fprintln(w, "  FAILED:")
			for _, err := range errs {
				writeIndented(w, "    ", err.Error())
			}
			continue
		}
		fmt.Fprintf(w, "  SUCCESS: %d rules found\n", n)
	}
	return ok
}

// checkFile returns the number of rules in a rule file, or what is wrong
// with it.
func checkFile(name string) (int, []error) {
	rgs, errs := Loader{}.Load(name, false, model.UTF8Validation)
	if len(errs) > 0 {
		return 0, errs
	}
	n := 0
	for _, g := range rgs.Groups {
		n += len(g.Rules)
	}
	return n, nil
}

// writeIndented writes a possibly multi-line message (YAML errors have a
// line per problem) with every line indented.
func writeIndented(w io.Writer, indent, msg string) {
	for line := range strings.SplitSeq(strings.TrimRight(msg, "\n"), "\n") {
		fmt.Fprintf(w, "%s%s\n", indent, line)
	}
}
