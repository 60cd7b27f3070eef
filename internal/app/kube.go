package app

import (
	"os"

	"github.com/mlstack/mlstack/internal/kubeenv"
	"github.com/mlstack/mlstack/internal/project"
)

// KubeContext is the kube context the command runs on (--kube-context, else MLSTACK_KUBE_CONTEXT),
// or "" for the Docker engine.
func (e *Env) KubeContext() string {
	if e.Global.Kube.Context != "" {
		return e.Global.Kube.Context
	}
	return os.Getenv(kubeenv.Context)
}

// OnCluster reports whether the command runs on a Kubernetes cluster rather than on Docker.
func (e *Env) OnCluster() bool { return e.KubeContext() != "" }

// Registry is where built images go for a cluster: --registry, MLSTACK_REGISTRY, or the file's
// x-mlstack.registry.
func (e *Env) Registry(p *project.Project) string {
	if e.Global.Kube.Registry != "" {
		return e.Global.Kube.Registry
	}
	if r := os.Getenv(kubeenv.Registry); r != "" {
		return r
	}
	if x, ok := p.Extensions["x-mlstack"].(map[string]any); ok {
		if r, ok := x["registry"].(string); ok {
			return r
		}
	}
	return ""
}
