// Command mlstack-kube is mlstack with the Kubernetes backend linked in: the same commands and
// flags, and under --kube-context (or MLSTACK_KUBE_CONTEXT) up, down, ps, logs, run and train on the
// cluster, plus export kubernetes. mlstack hands those commands to it; it can be run directly too.
package main

import (
	"os"

	"github.com/mlstack/mlstack/internal/cli"
	"github.com/mlstack/mlstack/internal/kubeapp"
)

func main() { os.Exit(cli.Execute(cli.Options{Cluster: kubeapp.New})) }
