package cli

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/kubeenv"
)

// addKubeFlags adds the global flags that switch commands to a Kubernetes cluster.
func addKubeFlags(pf *pflag.FlagSet, g *app.Global) {
	pf.StringVar(&g.Kube.Context, "kube-context", "", "run on this Kubernetes context instead of Docker (default: "+kubeenv.Context+"; kubeconfig from KUBECONFIG or ~/.kube/config)")
	// -n is taken (logs -n), so the namespace has the long form only.
	pf.StringVar(&g.Kube.Namespace, "namespace", "", "Kubernetes namespace (default: the kube context's, else the project name)")
	pf.StringVar(&g.Kube.Registry, "registry", "", "registry that built images are pushed to for a cluster (default: "+kubeenv.Registry+", else x-mlstack.registry)")
}

// clusterCommands are the commands that mean something under a kube context; the rest are refused.
var clusterCommands = []string{"up", "down", "ps", "logs", "train", "run", "runs", "config", "export",
	"version", "help", "completion", "lint", "init", "profile", "build", "doctor"}

// refuseOnCluster refuses, under a kube context, the commands that have no cluster meaning yet.
func refuseOnCluster(cmd *cobra.Command, env *app.Env) error {
	if !env.OnCluster() {
		return nil
	}
	top := cmd
	for top.HasParent() && top.Parent().HasParent() {
		top = top.Parent()
	}
	if !top.HasParent() || slices.Contains(clusterCommands, top.Name()) {
		return nil
	}
	return fmt.Errorf("mlstack %s has no meaning on a Kubernetes cluster yet (kube context %q): run it on Docker, without --kube-context and %s; on a cluster use up, down, ps, logs, train and run",
		top.Name(), env.KubeContext(), kubeenv.Context)
}
