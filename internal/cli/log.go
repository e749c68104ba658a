package cli

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/pflag"
)

// logOptions are the logging flags every command shares.
type logOptions struct {
	level, format string
}

func (o *logOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.level, "log.level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&o.format, "log.format", "logfmt", "log format: logfmt or json")
}

// logger returns a structured logger writing to w.
func (o *logOptions) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	switch strings.ToLower(o.level) {
	case "debug":
		lvl = slog.LevelDebug
	case "info":
		lvl = slog.LevelInfo
	case "warn", "warning":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		return nil, usageError{fmt.Errorf("--log.level %q: want debug, info, warn or error", o.level)}
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(o.format) {
	case "logfmt":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, usageError{fmt.Errorf("--log.format %q: want logfmt or json", o.format)}
	}
}
