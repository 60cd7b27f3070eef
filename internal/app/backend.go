package app

import (
	"context"
	"errors"

	"github.com/mlstack/mlstack/internal/pipeline"
	"github.com/mlstack/mlstack/internal/stack"
)

// Backend is what up, down, ps, logs, run and train do, on whichever platform runs the services:
// the Docker engine (internal/dockerapp) or a Kubernetes cluster (internal/kubeapp). Both take the
// compose-shaped options the cli parses, as docker compose's one service interface serves all its
// backends; project loading, profiles, the dependency walk, the GPU policy and run records are
// shared, and only where the services run differs. A backend reads the options it has a meaning for.
type Backend interface {
	// Up creates and starts the services in dependency and health order.
	Up(ctx context.Context, o UpOptions) error
	// Down stops and removes what the project made (its volumes too with o.Volumes).
	Down(ctx context.Context, o stack.DownOptions) error
	// Ps prints the project's services and their state.
	Ps(ctx context.Context, o stack.PsOptions) error
	// Logs prints, or follows, the services' output.
	Logs(ctx context.Context, o stack.LogsOptions) error
	// Run runs a service once, after its dependencies, and returns its exit code.
	Run(ctx context.Context, o JobOptions) (int, error)
	// Train runs a training job, records the run, and returns the job's exit code.
	Train(ctx context.Context, o JobOptions) (int, error)
}

// UpOptions are up's: which services and how (Stack), and their images and GPUs (Images).
type UpOptions struct {
	Stack  stack.UpOptions
	Images pipeline.Options
}

// JobOptions are run's and train's: the one-off job, its images and GPUs, and train's replay.
type JobOptions struct {
	Job    stack.OneOffOptions
	Images pipeline.Options
	// Replay (train only) names a recorded run to run again: ID, prefix or latest.
	Replay string
}

// ClusterBackend is the Kubernetes backend: Backend, plus what only a cluster means.
type ClusterBackend interface {
	Backend
	// Export writes the objects Up would apply to dir as a kustomize base.
	Export(ctx context.Context, dir string) error
}

// ErrNoClusterBackend is returned for a cluster command by a binary built without the cluster
// backend; the mlstack binary hands such commands to mlstack-kube before it gets here.
var ErrNoClusterBackend = errors.New("this binary has no Kubernetes backend: run mlstack-kube (make install installs it next to mlstack)")

// Backend is the backend the command runs on: the cluster's under a kube context, else Docker's.
func (e *Env) Backend() (Backend, error) {
	if !e.OnCluster() {
		return e.Docker, nil
	}
	return e.ClusterBackend()
}

// ClusterBackend is the Kubernetes backend, for commands that need it whatever the context (export).
func (e *Env) ClusterBackend() (ClusterBackend, error) {
	if e.Cluster == nil {
		return nil, ErrNoClusterBackend
	}
	return e.Cluster, nil
}
