// Package kubeapp is the Kubernetes backend of app.Backend: up, down, ps, logs, run, train and
// export on the kube context's cluster through internal/kube. Only cmd/mlstack-kube links it, so the
// mlstack binary stays free of client-go.
package kubeapp

import (
	"context"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/kube"
	"github.com/mlstack/mlstack/internal/project"
)

// Backend runs the commands on the cluster of Env's kube context.
type Backend struct{ env *app.Env }

// New returns the Kubernetes backend of env (cli.Options.Cluster takes it).
func New(env *app.Env) app.ClusterBackend { return &Backend{env: env} }

// stack loads the project and connects to the kube context; loading comes first, so a broken file
// is reported even when the cluster does not answer.
func (b *Backend) stack(ctx context.Context, services ...string) (*kube.Stack, *project.Project, error) {
	p, err := b.env.Load(ctx, services...)
	if err != nil {
		return nil, nil, err
	}
	st, err := b.connect(ctx, p)
	return st, p, err
}

// existingStack is stack for commands that act on what exists (down, ps, logs): with -p and no
// compose file they work from labels alone.
func (b *Backend) existingStack(ctx context.Context) (*kube.Stack, error) {
	p, err := b.env.Load(ctx)
	if err != nil {
		if b.env.Global.Project.Name == "" || !project.IsNoFile(err) {
			return nil, err
		}
		p = project.Bare(b.env.Global.Project.Name)
	}
	return b.connect(ctx, p)
}

func (b *Backend) connect(ctx context.Context, p *project.Project) (*kube.Stack, error) {
	c, err := kube.Connect(ctx, b.env.KubeContext())
	if err != nil {
		return nil, err
	}
	return kube.NewStack(c, p.Project, b.env.Global.Kube.Namespace, b.env.UI), nil
}
