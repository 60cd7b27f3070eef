// Command mlstack runs an ML team's compose stack on Docker as a one-command dev loop.
package main

import (
	"os"

	"github.com/mlstack/mlstack/internal/cli"
)

func main() { os.Exit(cli.Execute()) }
