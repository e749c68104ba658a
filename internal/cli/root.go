// Package cli is mihari's command line: one file per subcommand, each with
// its usage, help with examples, flags and a run function.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	// The host collectors register themselves.
	_ "github.com/mihari-dev/mihari/internal/collect/cgroup"
	_ "github.com/mihari-dev/mihari/internal/collect/host"
	_ "github.com/mihari-dev/mihari/internal/collect/process"
)

// IO is where a command reads and writes; tests substitute buffers.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// StdIO is the process's own standard streams.
func StdIO() IO { return IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr} }

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Main runs mihari with args and returns the process exit status:
// 0 on success, 1 on failure, 2 on a command-line mistake.
func Main(args []string, stdio IO) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(stdio)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	name := "mihari"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintf(stdio.Err, "%s: %v\nRun '%s --help' for usage.\n", name, err, name)
		return 2
	}
	fmt.Fprintf(stdio.Err, "%s: %v\n", name, err)
	return 1
}

// isCobraUsage recognises cobra's own argument errors, which it does not
// type.
func isCobraUsage(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown command") || strings.HasPrefix(s, "unknown flag") ||
		strings.HasPrefix(s, "unknown shorthand flag") || strings.Contains(s, "arg(s)") ||
		strings.HasPrefix(s, "invalid argument") || strings.HasPrefix(s, "flag needs an argument") ||
		strings.HasPrefix(s, "bad flag syntax") || strings.HasPrefix(s, "required flag")
}

func newRoot(stdio IO) *cobra.Command {
	log := &logOptions{}
	root := &cobra.Command{
		Use:   "mihari",
		Short: "watch a Linux host, and explain what you see",
		Long: `mihari (見張り, "lookout") notices trouble on a Linux host -- host, process and
cgroup metrics, compatible with node_exporter, stored, queried with PromQL and
alerted on -- and helps explain it: which process, which files it opens and
which cost it the most to read. It never becomes the trouble itself: every
file it reads is timed, bounded and reported as mihari_source_*.`,
		Example: `  # run the agent: metrics on http://127.0.0.1:9780/metrics
  mihari serve

  # print one scrape, without a server
  mihari metrics

  # what does reading /proc cost mihari?
  mihari metrics | grep mihari_source_read_seconds_total

  # which files does kubelet spend the most time reading?
  sudo mihari trace files -n kubelet -d 10`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	log.addFlags(root.PersistentFlags())
	root.CompletionOptions.HiddenDefaultCmd = false

	root.AddCommand(
		newServeCmd(stdio, log),
		newMetricsCmd(stdio, log),
		newQueryCmd(stdio, log),
		newTopCmd(stdio, log),
		newRulesCmd(stdio),
		newTraceCmd(stdio),
		newCostCmd(stdio),
		newProfileCmd(stdio),
		newInvestigateCmd(stdio, log),
		newVersionCmd(stdio),
	)
	return root
}
