package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	promrules "github.com/prometheus/prometheus/rules"
)

// Loader is a rules.GroupLoader that serves the embedded default pack for
// the identifier DefaultsName and reads every other identifier as a file,
// so that
//
//	mgr.Update(interval, append([]string{rules.DefaultsName}, files...), ...)
//
// evaluates the defaults beside the user's files. The zero Loader is ready
// to use.
type Loader struct {
	// Parser parses rule expressions; nil means parser.NewParser with
	// default options, as the rules.Manager itself uses.
	Parser parser.Parser
	// Logger receives rulefmt's warnings (a second YAML document in a
	// file, which is ignored); nil discards them.
	Logger *slog.Logger
}

var _ promrules.GroupLoader = Loader{}

func (l Loader) parser() parser.Parser {
	if l.Parser == nil {
		return parser.NewParser(parser.Options{})
	}
	return l.Parser
}

func (l Loader) logger() *slog.Logger {
	if l.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l.Logger
}

// Load parses and validates the rule groups of identifier: the embedded
// pack for DefaultsName, otherwise the file of that name. Errors are
// prefixed with the identifier.
func (l Loader) Load(identifier string, ignoreUnknownFields bool, nameValidationScheme model.ValidationScheme) (*rulefmt.RuleGroups, []error) {
	if identifier != DefaultsName {
		return rulefmt.ParseFile(identifier, ignoreUnknownFields, nameValidationScheme, l.parser(), l.logger())
	}
	rgs, errs := rulefmt.Parse(defaults, ignoreUnknownFields, nameValidationScheme, l.parser(), l.logger())
	for i, err := range errs {
		errs[i] = fmt.Errorf("%s: %w", DefaultsName, err)
	}
	return rgs, errs
}

// Parse parses a rule's PromQL expression.
func (l Loader) Parse(query string) (parser.Expr, error) {
	return l.parser().ParseExpr(query)
}

// ExpandFiles expands shell patterns (filepath.Match syntax) into the rule
// files they name, in order and without duplicates. A pattern that matches
// nothing, or a path that does not exist, is an error: a rule file that
// silently vanishes is an alert that silently never fires. A file that
// happens to be called DefaultsName comes back as "./"+DefaultsName, so
// that Loader reads it rather than serving the embedded pack.
func ExpandFiles(patterns []string) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	for _, p := range patterns {
		matches, err := filepath.Glob(p)
		switch {
		case err != nil:
			return nil, fmt.Errorf("rule files %q: %w", p, err)
		case len(matches) > 0:
		case hasMeta(p):
			return nil, fmt.Errorf("rule files %q: %w", p, ErrNoMatch)
		default:
			return nil, fmt.Errorf("rule file %q: %w", p, fs.ErrNotExist)
		}
		for _, m := range matches {
			if m == DefaultsName {
				m = "./" + m
			}
			if !seen[m] {
				seen[m] = true
				files = append(files, m)
			}
		}
	}
	return files, nil
}

// ErrNoMatch is the error of ExpandFiles for a pattern that matches no
// file; a plain path that does not exist is fs.ErrNotExist.
var ErrNoMatch = errors.New("pattern matches no file")

// hasMeta reports whether a path has filepath.Match's special characters.
func hasMeta(path string) bool { return strings.ContainsAny(path, `*?[\`) }
