package app

import (
	"context"
	"os"

	"github.com/mlstack/mlstack/internal/kube"
	"github.com/mlstack/mlstack/internal/project"
)

// KubeContext is the kube context the command runs on (--kube-context, else MLSTACK_KUBE_CONTEXT),
// or "" for the Docker engine.
func (e *Env) KubeContext() string {
	if e.Global.Kube.Context != "" {
		return e.Global.Kube.Context
	}
	return os.Getenv(kube.EnvContext)
}

// OnCluster reports whether the command runs on a Kubernetes cluster rather than on Docker.
func (e *Env) OnCluster() bool { return e.KubeContext() != "" }

// Registry is where built images go for a cluster: --registry, MLSTACK_REGISTRY, or the file's
// x-mlstack.registry.
func (e *Env) Registry(p *project.Project) string {
	if e.Global.Kube.Registry != "" {
		return e.Global.Kube.Registry
	}
	if r := os.Getenv(kube.EnvRegistry); r != "" {
		return r
	}
	if x, ok := p.Extensions["x-mlstack"].(map[string]any); ok {
		if r, ok := x["registry"].(string); ok {
			return r
		}
	}
	return ""
}

// KubeStack loads the project and connects to the kube context; loading comes first, so a broken
// file is reported even when the cluster does not answer.
func (e *Env) KubeStack(ctx context.Context, services ...string) (*kube.Stack, *project.Project, error) {
	p, err := e.Load(ctx, services...)
	if err != nil {
		return nil, nil, err
	}
	c, err := e.ConnectCluster(ctx)
	if err != nil {
		return nil, nil, err
	}
	return kube.NewStack(c, p.Project, e.Global.Kube.Namespace, e.UI), p, nil
}

// KubeStackForDown is KubeStack for commands that act on what exists (down, ps, logs): with -p and
// no compose file they work from labels alone.
func (e *Env) KubeStackForDown(ctx context.Context) (*kube.Stack, error) {
	p, err := e.Load(ctx)
	if err != nil {
		if e.Global.Project.Name == "" || !project.IsNoFile(err) {
			return nil, err
		}
		p = project.Bare(e.Global.Project.Name)
	}
	c, err := e.ConnectCluster(ctx)
	if err != nil {
		return nil, err
	}
	return kube.NewStack(c, p.Project, e.Global.Kube.Namespace, e.UI), nil
}

// ConnectCluster connects to the kube context.
func (e *Env) ConnectCluster(ctx context.Context) (*kube.Cluster, error) {
	o := e.Global.Kube
	o.Context = e.KubeContext()
	return kube.Connect(ctx, o)
}
