// Command mlstack runs an ML team's compose stack on Docker as a one-command dev loop. It does not
// link client-go: commands on a Kubernetes cluster are handed to mlstack-kube (see cli.Execute).
package main

import (
	"os"

	"github.com/mlstack/mlstack/internal/cli"
)

func main() { os.Exit(cli.Execute(cli.Options{})) }
