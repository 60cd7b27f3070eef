package kubeapp

import (
	"context"
	"fmt"
	"strings"

	"github.com/mlstack/mlstack/internal/build"
	"github.com/mlstack/mlstack/internal/pipeline"
	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/stack"
)

// images builds, on the Docker engine, the active services that have build: (their input hash
// decides, as for up on Docker), tags them <registry>/<project>-<service>:<image id> and pushes
// them; it maps each to the pushed digest. Without such services it touches no engine; without a
// registry it returns nothing, and the conversion names the service and the options.
func (b *Backend) images(ctx context.Context, p *project.Project, po pipeline.Options) (map[string]string, error) {
	names := pipeline.BuildServices(p.Services, nil)
	registry := b.env.Registry(p)
	if len(names) == 0 || registry == "" {
		return nil, nil
	}
	eng, err := b.env.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("build for the cluster: %w", err)
	}
	st := &stack.Stack{Eng: eng, Project: p, UI: b.env.UI}
	hooks, err := pipeline.New(st, po)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, n := range names {
		id, err := hooks.Image(ctx, p.Services[n])
		if err != nil {
			return nil, err
		}
		tag := strings.TrimPrefix(id, "sha256:")
		if len(tag) > 12 {
			tag = tag[:12]
		}
		ref := fmt.Sprintf("%s/%s-%s:%s", strings.TrimSuffix(registry, "/"), p.Name, n, tag)
		digest, err := build.Push(ctx, eng, id, ref)
		if err != nil {
			return nil, fmt.Errorf("service %q: %w", n, err)
		}
		b.env.UI.Status("Image "+digest, "Pushed")
		out[n] = digest
	}
	return out, nil
}
