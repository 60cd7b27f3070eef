package cli

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/kube"
	"github.com/mlstack/mlstack/internal/pipeline"
	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/ui"
)

// addKubeFlags adds the global flags that switch commands to a Kubernetes cluster.
func addKubeFlags(pf *pflag.FlagSet, g *app.Global) {
	pf.StringVar(&g.Kube.Context, "kube-context", "", "run on this Kubernetes context instead of Docker (default: "+kube.EnvContext+"; kubeconfig from KUBECONFIG or ~/.kube/config)")
	// -n is taken (logs -n), so the namespace has the long form only.
	pf.StringVar(&g.Kube.Namespace, "namespace", "", "Kubernetes namespace (default: the kube context's, else the project name)")
	pf.StringVar(&g.Kube.Registry, "registry", "", "registry that built images are pushed to for a cluster (default: "+kube.EnvRegistry+", else x-mlstack.registry)")
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
		top.Name(), env.KubeContext(), kube.EnvContext)
}

// upOnCluster is `up` under a kube context.
func upOnCluster(cmd *cobra.Command, env *app.Env, o stack.UpOptions, po pipeline.Options) error {
	ctx := cmd.Context()
	st, p, err := env.KubeStack(ctx, o.Services...)
	if err != nil {
		return err
	}
	if err := p.CheckServices(o.Services); err != nil {
		return err
	}
	images, err := clusterImages(cmd, env, p, po)
	if err != nil {
		return err
	}
	ko := kube.UpOptions{Services: o.Services, NoDeps: o.NoDeps, Wait: o.Wait, WaitTimeout: o.WaitTimeout, GPUs: po.GPUs, Images: images}
	if err := st.Up(ctx, ko); err != nil {
		return err
	}
	if !o.Detach {
		env.UI.Info("On a cluster up returns once everything is applied; following logs (Ctrl-C stops following, the services keep running)")
		return followOnCluster(cmd, env, st, nil)
	}
	return nil
}

// followOnCluster follows the services' logs, prefixed by service.
func followOnCluster(cmd *cobra.Command, env *app.Env, st *kube.Stack, services []string) error {
	pfx := env.UI.NewPrefixer(st.Project.ServiceNames(), false)
	err := st.Logs(cmd.Context(), kube.LogsOptions{Services: services, Follow: true, Writer: func(s string) io.Writer { return pfx.Writer(s) }})
	if cmd.Context().Err() != nil {
		return nil
	}
	return err
}

// downOnCluster is `down` under a kube context.
func downOnCluster(cmd *cobra.Command, env *app.Env, o stack.DownOptions) error {
	st, err := env.KubeStackForDown(cmd.Context())
	if err != nil {
		return err
	}
	ko := kube.DownOptions{Volumes: o.Volumes}
	if o.StopTimeout != nil {
		ko.Timeout = time.Duration(*o.StopTimeout) * time.Second
	}
	return st.Down(cmd.Context(), ko)
}

// psOnCluster is `ps` under a kube context.
func psOnCluster(cmd *cobra.Command, env *app.Env, o stack.PsOptions) error {
	st, err := env.KubeStackForDown(cmd.Context())
	if err != nil {
		return err
	}
	rows, err := st.Ps(cmd.Context(), o.Services)
	if err != nil {
		return err
	}
	if o.Format == "json" {
		return ui.WriteJSONLines(env.UI.Out, rows)
	}
	return kube.WritePs(env.UI.Out, rows)
}

// logsOnCluster is `logs` under a kube context.
func logsOnCluster(cmd *cobra.Command, env *app.Env, o stack.LogsOptions) error {
	st, err := env.KubeStackForDown(cmd.Context())
	if err != nil {
		return err
	}
	ko := kube.LogsOptions{Services: o.Services, Follow: o.Follow}
	if o.Tail != "" && o.Tail != "all" {
		n, err := strconv.ParseInt(o.Tail, 10, 64)
		if err != nil {
			return usageErr("--tail %q: want a number or all", o.Tail)
		}
		ko.Tail = &n
	}
	pfx := env.UI.NewPrefixer(st.Project.ServiceNames(), o.NoPrefix)
	ko.Writer = func(s string) io.Writer { return pfx.Writer(s) }
	err = st.Logs(cmd.Context(), ko)
	if cmd.Context().Err() != nil {
		return nil
	}
	return err
}

// runOnCluster is `run` under a kube context: the service once, as a Job.
func runOnCluster(cmd *cobra.Command, env *app.Env, o stack.OneOffOptions, po pipeline.Options) error {
	ctx := cmd.Context()
	st, p, err := env.KubeStack(ctx, o.Service)
	if err != nil {
		return err
	}
	images, err := clusterImages(cmd, env, p, po)
	if err != nil {
		return err
	}
	code, err := st.RunJob(ctx, kube.JobOptions{Service: o.Service, Command: o.Command, Env: o.Env, GPUs: po.GPUs, NoDeps: o.NoDeps, Images: images, Stdout: env.UI.Out, WaitTimeout: o.WaitTimeout})
	return exitWith(code, err)
}
