package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/investigate"
	"github.com/mihari-dev/mihari/internal/top"
)

type investigateOptions struct {
	collect   collect.Options
	auto      bool
	pid       int
	name      string
	duration  seconds
	format    string
	output    string
	fromAlert string
	agent     string
	id        string
	profile   string
	progress  bool
}

func newInvestigateCmd(stdio IO, logOpts *logOptions) *cobra.Command {
	o := &investigateOptions{duration: seconds(investigate.DefaultWindow)}
	cmd := &cobra.Command{
		Use:   "investigate",
		Short: "from \"CPU is high\" to the process, its hot code and the file behind it, as one report",
		Long: `Follow the chain a person follows when a host's CPU is high, and write what
was found as a report: the conclusion first, the evidence after.

  1. Host: the CPU split (user, system, iowait, steal, irq) over a few
     seconds, and over the last 30 minutes from a running agent (--agent);
     what is abnormal.
  2. Suspects: the processes using the most CPU, with their user/system
     split and container, and why each is a suspect.
  3. The main suspect's CPU profile for --duration: its hot user and kernel
     functions, and the user functions that lead into the kernel.
  4. When its time is mostly in the kernel, its reads are traced at the
     same time (trace files): which files cost it the most time; those
     files are then read again and timed (cost).
  5. A conclusion with the numbers measured, and how sure it is: a file
     named as the cause only when it explains the kernel time, "no single
     file explains it" when that is the truth, "nothing is abnormal" on a
     quiet host.

With --auto (the default) the busiest process is the suspect, if any is
busy; -p and -n name it. --from-alert takes an Alertmanager webhook payload
(a file, or - for stdin) and investigates what its first firing alert
points at: a pid label, a groupname label (process-exporter's), else auto.

Every step that cannot run (no root for profiling or tracing, no BTF, the
process gone) is reported as skipped or failed with the reason, and the
report is still written from what could run. Profiling and tracing need
root (or CAP_PERFMON and CAP_BPF).

--format md (default), html (a standalone page) or json (the schema is in
docs/investigation.md); -o writes to a file instead of stdout. Progress
goes to stderr on a terminal, and with --progress as lines "progress: ..."
anywhere (mihari serve shows them). The exit status is 0 when a report was
written, partial or not, 1 when none could be, 2 on a usage error.`,
		Example: `  # what is burning this host's CPU? (10 seconds of profiling)
  sudo mihari investigate

  # kubelet, as an HTML page
  sudo mihari investigate -n kubelet --format html -o kubelet.html

  # from an Alertmanager webhook payload, as JSON
  sudo mihari investigate --from-alert payload.json --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInvestigate(cmd.Context(), stdio, logOpts, o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.auto, "auto", false, "investigate the host and its busiest process (the default)")
	fs.IntVarP(&o.pid, "pid", "p", 0, "investigate this process")
	fs.StringVarP(&o.name, "name", "n", "", "investigate the busiest process whose command name contains this")
	fs.VarP(&o.duration, "duration", "d", "how long to profile and trace the suspect (10, 1m)")
	fs.StringVar(&o.format, "format", "md", "report format: md, html or json")
	fs.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of stdout")
	fs.StringVar(&o.fromAlert, "from-alert", "", "investigate what an Alertmanager webhook payload's firing alert points at (a file, or - for stdin)")
	fs.StringVar(&o.agent, "agent", "http://127.0.0.1:9780", "a running mihari to ask for the recent past; \"\" for none")
	fs.StringVar(&o.id, "id", "", "the report's ID (default: made from the time)")
	fs.StringVar(&o.profile, "profile", "", "also write the suspect's CPU profile (pprof) to this file")
	fs.BoolVar(&o.progress, "progress", false, "print each step on stderr as a line \"progress: <step>\" even when stderr is not a terminal")
	o.collect.AddSourceFlags(fs)
	return cmd
}

func runInvestigate(ctx context.Context, stdio IO, logOpts *logOptions, o *investigateOptions) error {
	switch o.format {
	case "md", "html", "json":
	default:
		return usageError{fmt.Errorf("--format %q: want md, html or json", o.format)}
	}
	if o.duration <= 0 {
		return usageError{errors.New("--duration: want more than 0")}
	}
	target, err := o.target()
	if err != nil {
		return usageError{err}
	}
	var al *investigate.Alert
	if o.fromAlert != "" {
		if target.Mode != "auto" {
			return usageError{errors.New("--from-alert picks the target itself: give it without -p or -n")}
		}
		var r io.Reader = stdio.In
		if o.fromAlert != "-" {
			f, err := os.Open(o.fromAlert)
			if err != nil {
				return fmt.Errorf("--from-alert: %w", err)
			}
			defer f.Close()
			r = f
		}
		al, target, err = investigate.FromWebhook(r)
		if err != nil {
			return fmt.Errorf("--from-alert %s: %w", o.fromAlert, err)
		}
	}
	if err := o.collect.CheckPaths(); err != nil {
		return usageError{err}
	}
	log, err := logOpts.logger(stdio.Err)
	if err != nil {
		return err
	}
	reader, err := o.collect.Reader(log.With("component", "source"))
	if err != nil {
		return usageError{err}
	}
	opts := investigate.Options{
		Target:      target,
		Alert:       al,
		ID:          o.id,
		Window:      time.Duration(o.duration),
		Host:        top.NewCollector(reader, o.collect.Paths),
		Agent:       o.agent,
		ProfileFile: o.profile,
	}
	if _, tty := terminal(stdio.Err); tty {
		start := time.Now()
		opts.Progress = func(msg string) {
			fmt.Fprintf(stdio.Err, "\r\033[K[%4.1fs] %s...", time.Since(start).Seconds(), msg)
		}
		defer fmt.Fprint(stdio.Err, "\r\033[K")
	} else if o.progress {
		opts.Progress = func(msg string) { fmt.Fprintf(stdio.Err, "progress: %s\n", msg) }
	}
	rep := investigate.Run(ctx, opts)
	write := func(w io.Writer) error {
		switch o.format {
		case "html":
			return investigate.WriteHTML(w, rep)
		case "json":
			return investigate.WriteJSON(w, rep)
		}
		return investigate.WriteMarkdown(w, rep)
	}
	if o.output != "" {
		if err := writeFileAtomic(o.output, write); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
		return nil
	}
	w := bufio.NewWriter(stdio.Out)
	if err := write(w); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return w.Flush()
}

func (o *investigateOptions) target() (investigate.Target, error) {
	n := 0
	for _, set := range []bool{o.auto, o.pid != 0, o.name != ""} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return investigate.Target{}, errors.New("give one of --auto, -p PID and -n NAME")
	case o.pid < 0:
		return investigate.Target{}, fmt.Errorf("--pid %d: want a positive process ID", o.pid)
	case o.pid > 0:
		return investigate.Target{Mode: "pid", PID: o.pid}, nil
	case o.name != "":
		return investigate.Target{Mode: "name", Name: o.name}, nil
	}
	return investigate.Target{Mode: "auto"}, nil
}
