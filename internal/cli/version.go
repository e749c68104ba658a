package cli

import (
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/prometheus/common/version"
	"github.com/spf13/cobra"
)

func init() {
	// Builds from the Makefile stamp the version with -ldflags; `go run`
	// and `go install` builds carry the module's own.
	if version.Version == "" {
		version.Version = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version.Version = bi.Main.Version
		}
	}
}

func newVersionCmd(stdio IO) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "print mihari's version and build",
		Example: `  mihari version
  mihari version --json | jq -r .version`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if asJSON {
				enc := json.NewEncoder(stdio.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]string{
					"version":   version.Version,
					"revision":  version.GetRevision(),
					"branch":    version.Branch,
					"buildUser": version.BuildUser,
					"buildDate": version.BuildDate,
					"goVersion": version.GoVersion,
					"platform":  version.GoOS + "/" + version.GoArch,
				})
			}
			_, err := fmt.Fprintln(stdio.Out, version.Print("mihari"))
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
