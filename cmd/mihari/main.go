// Command mihari watches a Linux host and explains what it finds.
package main

import (
	"os"

	"github.com/mihari-dev/mihari/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.StdIO()))
}
