package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/spf13/cobra"

	"github.com/mihari-dev/mihari/internal/collect"
	mweb "github.com/mihari-dev/mihari/internal/web"
)

type serveOptions struct {
	collect       collect.Options
	listen        []string
	configFile    string
	metricsPath   string
	scrapeTimeout time.Duration
	pprof         bool
}

func newServeCmd(stdio IO, logOpts *logOptions) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "run the agent: collect and serve metrics over HTTP",
		Long: `Run the mihari agent. It serves its metrics at /metrics in the Prometheus
format (node_exporter-compatible names), plus /-/healthy and /-/ready.

Every file the collectors read goes through mihari's source layer: a read
that misses its deadline (--source.timeout) is answered with the file's last
good value, the file is retried in the background with back-off, and the
cost of every read is exported as mihari_source_*.

TLS and basic authentication use the Prometheus web configuration file
(--web.config.file), as node_exporter does.

mihari stops cleanly on SIGINT or SIGTERM.`,
		Example: `  # listen on the default 127.0.0.1:9780
  mihari serve

  # listen on every interface, with TLS and basic auth
  mihari serve --web.listen-address=:9780 --web.config.file=/etc/mihari/web.yml

  # read a host's files from a container that mounts them under /host
  mihari serve --path.procfs=/host/proc --path.sysfs=/host/sys --path.rootfs=/host

  # only CPU and memory, and give slow cgroup files more time
  mihari serve --collector.disable-defaults --collector.cpu --collector.meminfo \
    --source.timeout.override='/sys/fs/cgroup/*=3s'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), stdio, logOpts, o)
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&o.listen, "web.listen-address", []string{"127.0.0.1:9780"}, "address to listen on; repeatable")
	fs.StringVar(&o.configFile, "web.config.file", "", "Prometheus web configuration file for TLS and basic auth (https://prometheus.io/docs/prometheus/latest/configuration/https/)")
	fs.StringVar(&o.metricsPath, "web.telemetry-path", "/metrics", "path of the metrics endpoint")
	fs.BoolVar(&o.pprof, "web.enable-pprof", false, "serve Go's profiler at /debug/pprof/ (what mihari itself spends CPU on)")
	fs.DurationVar(&o.scrapeTimeout, "scrape.timeout", 10*time.Second, "longest a scrape may take; late files are served their last good value")
	o.collect.AddFlags(fs)
	return cmd
}

func runServe(ctx context.Context, stdio IO, logOpts *logOptions, o *serveOptions) error {
	log, err := logOpts.logger(stdio.Err)
	if err != nil {
		return err
	}
	if o.configFile != "" {
		if err := web.Validate(o.configFile); err != nil {
			return fmt.Errorf("--web.config.file %q: %w", o.configFile, err)
		}
	}
	node, reader, err := o.collect.Build(log)
	if err != nil {
		return usageError{err}
	}
	g := collect.NewGatherer(node, reader)
	h, err := mweb.NewHandler(g, mweb.Options{MetricsPath: o.metricsPath, ScrapeTimeout: o.scrapeTimeout, EnablePprof: o.pprof, Logger: log})
	if err != nil {
		return err
	}

	// Listen before anything else so a busy port fails at once, in one line.
	var listeners []net.Listener
	for _, addr := range o.listen {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			if errors.Is(err, syscall.EADDRINUSE) {
				return fmt.Errorf("cannot listen on %s: address already in use; is another mihari running? pick another with --web.listen-address", addr)
			}
			return fmt.Errorf("cannot listen on %s: %w", addr, err)
		}
		listeners = append(listeners, l)
	}

	log.Info("starting mihari", "version", version.Info(), "collectors", node.Names())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	flags := &web.FlagConfig{WebListenAddresses: &o.listen, WebSystemdSocket: new(bool), WebConfigFile: &o.configFile}
	served := make(chan error, 1)
	go func() { served <- web.ServeMultiple(listeners, srv, flags, log) }()

	select {
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	h.SetReady(false)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	log.Info("stopped")
	return nil
}
