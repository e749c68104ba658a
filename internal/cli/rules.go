package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mihari-dev/mihari/internal/rules"
)

func newRulesCmd(stdio IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "check, test and print alerting and recording rules",
		Long: `Work with the alerting and recording rules that 'mihari serve' evaluates.
They are Prometheus rule files, and the commands behave like promtool's:
'check' validates files, 'test' runs unit tests of rules in promtool's test
file format, 'defaults' prints the rules mihari ships with.

The word "defaults" in place of a file names that built-in pack.`,
		Example: `  # start your own rules from the built-in ones
  mihari rules defaults > /etc/mihari/rules/host.yml

  # check them, and run their unit tests (kept out of the rules directory,
  # whose every file mihari serve loads)
  mihari rules check /etc/mihari/rules/*.yml
  mihari rules test rule-tests/*_test.yml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(
		newRulesCheckCmd(stdio),
		newRulesTestCmd(stdio),
		newRulesDefaultsCmd(stdio),
	)
	return cmd
}

func newRulesCheckCmd(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE...",
		Short: "validate rule files, like promtool check rules",
		Long: `Validate Prometheus rule files, like 'promtool check rules': the YAML (strictly:
an unknown field is an error), every PromQL expression, unique group names,
'for' and 'keep_firing_for' on alerting rules only, label names and values,
and the templates of alerting rules' labels and annotations.

For each file it prints "Checking FILE" and then "SUCCESS: N rules found" or
"FAILED:" with every problem, and where it is (line:column), on a line of
its own. FILE may be a pattern such as '/etc/mihari/rules/*.yml' (quoted, so
that mihari rather than the shell expands it), and "defaults" is the
built-in rule pack.

Exit status: 0 if every file is valid, 1 if any is not, 2 if a FILE does
not exist or a pattern matches nothing.`,
		Example: `  # the files mihari serve would load
  mihari rules check '/etc/mihari/rules/*.yml'

  # the built-in pack
  mihari rules check defaults

  # in CI: every rule file of a repository
  mihari rules check rules/*.yml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			files, err := ruleArgs(args)
			if err != nil {
				return err
			}
			if !rules.Check(stdio.Out, files...) {
				return errors.New("some rule files are not valid")
			}
			return nil
		},
	}
}

func newRulesTestCmd(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "test FILE...",
		Short: "run unit tests of rules, like promtool test rules",
		Long: `Run unit tests of alerting and recording rules, written in promtool's test file
format (https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/):
input series in expanding notation ("0+10x30", "1 _x3 stale"), and at given
times the alerts expected to fire, with their labels and annotations, and
the results of PromQL expressions.

A test file's rule_files are relative to it; "defaults" there names the
built-in rule pack, so that your tests can cover the alerts mihari ships
with. As with promtool, an alert counts only once it fires: while it waits
out its 'for' it is pending, and an alert_rule_test expects no alert.
Sample values match within a relative difference of one in a million.

For each file it prints "Unit Testing:  FILE" and then "SUCCESS", or
"FAILED:" and every failed expectation with what was expected (exp:) and
what the rules produced (got:).

Exit status: 0 if every test passes, 1 if any fails, 2 if a FILE does not
exist or a pattern matches nothing.`,
		Example: `  # a test file that tests the built-in pack starts with
  #   rule_files: [defaults]
  mihari rules test host_test.yml

  # every test of your rules
  mihari rules test 'rule-tests/*_test.yml'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			files, err := rules.ExpandFiles(args)
			if err != nil {
				return usageError{err}
			}
			if !rules.Test(stdio.Out, files...) {
				return errors.New("some rule tests failed")
			}
			return nil
		},
	}
}

func newRulesDefaultsCmd(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "defaults",
		Short: "print the built-in rule pack",
		Long: `Print the rules 'mihari serve' evaluates unless told otherwise, a Prometheus
rule file: host CPU (all of it, and the kernel's share), process groups in
the kernel, filesystems filling up, memory pressure, load, and mihari's own
cost and blind spots. Comments explain every threshold. Copy it, change it,
check it with 'mihari rules check', and test it with 'mihari rules test'.`,
		Example: `  # read them
  mihari rules defaults | less

  # your own copy, to change
  mihari rules defaults > /etc/mihari/rules/host.yml

  # what you changed
  diff <(mihari rules defaults) /etc/mihari/rules/host.yml`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := stdio.Out.Write(rules.Defaults())
			return err
		},
	}
}

// ruleArgs expands the FILE arguments of rules check, keeping "defaults".
// A FILE that does not exist is a mistake on the command line.
func ruleArgs(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		if a == rules.DefaultsArg {
			files = append(files, a)
			continue
		}
		expanded, err := rules.ExpandFiles([]string{a})
		if err != nil {
			return nil, usageError{err}
		}
		files = append(files, expanded...)
	}
	return files, nil
}
