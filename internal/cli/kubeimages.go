package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/build"
	"github.com/mlstack/mlstack/internal/pipeline"
	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/stack"
)

// clusterImages builds, on the Docker engine, the active services that have build: (their input
// hash decides, as for up on Docker), tags them <registry>/<project>-<service>:<image id> and pushes
// them; it maps each to the pushed digest. Without such services it touches no engine; without a
// registry it returns nothing, and the conversion names the service and the options.
func clusterImages(cmd *cobra.Command, env *app.Env, p *project.Project, po pipeline.Options) (map[string]string, error) {
	names := pipeline.BuildServices(p.Services, nil)
	registry := env.Registry(p)
	if len(names) == 0 || registry == "" {
		return nil, nil
	}
	ctx := cmd.Context()
	eng, err := env.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("build for the cluster: %w", err)
	}
	st := &stack.Stack{Eng: eng, Project: p, UI: env.UI}
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
		env.UI.Status("Image "+digest, "Pushed")
		out[n] = digest
	}
	return out, nil
}

// trainImages is clusterImages for train's project, which train loads itself.
func trainImages(cmd *cobra.Command, env *app.Env, po pipeline.Options) func(*project.Project) (map[string]string, error) {
	return func(p *project.Project) (map[string]string, error) { return clusterImages(cmd, env, p, po) }
}
