// Package app is the seam between the command line and the use cases: it turns global options into a
// loaded project and a connected engine, once per command, and carries the process's signals.
package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/ui"
)

// Version is mlstack's version, set at build time with -ldflags "-X .../internal/app.Version=...".
var Version = "dev"

// Global are the options every command shares (compose's global flags).
type Global struct {
	Project project.Options
	Engine  engine.Options
	// Kube selects a Kubernetes cluster instead of the Docker engine (see OnCluster).
	Kube ClusterOptions
}

// ClusterOptions select a Kubernetes cluster: the global flags, whose environment variables
// (internal/kubeenv) Env reads where they are not given.
type ClusterOptions struct {
	// Context is --kube-context; empty means MLSTACK_KUBE_CONTEXT, and both empty mean Docker.
	Context string
	// Namespace is --namespace: empty means the context's namespace, else the project's name.
	Namespace string
	// Registry is --registry: where images built for the cluster are pushed (see Env.Registry).
	Registry string
}

// Env is what a command runs with.
type Env struct {
	Global Global
	UI     *ui.Streams
	// Kill is closed on the second Ctrl-C (the first cancels the command's context).
	Kill <-chan struct{}
	// Docker and Cluster are the two backends Backend chooses from. Cluster is nil in the mlstack
	// binary, which does not link client-go and hands cluster commands to mlstack-kube (see
	// cli.Execute).
	Docker  Backend
	Cluster ClusterBackend
}

// Load loads the project for this command.
func (e *Env) Load(ctx context.Context, services ...string) (*project.Project, error) {
	o := e.Global.Project
	o.Services = append(o.Services, services...)
	return e.load(ctx, o)
}

func (e *Env) load(ctx context.Context, o project.Options) (*project.Project, error) {
	p, err := project.Load(ctx, o)
	if err != nil {
		return nil, err
	}
	for _, el := range p.Ignored {
		e.UI.Warn("%s: top-level element %q is not supported by mlstack yet and is ignored", p.RelFiles(), el)
	}
	return p, nil
}

// Connect connects to the engine.
func (e *Env) Connect(ctx context.Context) (*engine.Client, error) {
	return engine.Connect(ctx, e.Global.Engine)
}

// Stack loads the project and connects to the engine, the two at once. A broken file is reported
// first, even when the daemon is down.
func (e *Env) Stack(ctx context.Context, services ...string) (*stack.Stack, error) {
	return e.stackOf(ctx, func() (*project.Project, error) { return e.Load(ctx, services...) })
}

// ExistingStack is Stack for commands that act on what exists (down, ps, stop, rm, logs, ...): they
// never depend on more than the project's name and its services, so the file is loaded without the
// schema check (compose's schema, compiled once per process, would be a third of a `ps`). A file
// that does not load (or is missing) leaves the containers' labels to work from when the name is
// known (-p, COMPOSE_PROJECT_NAME, or the raw file's name:), as compose does with -p; an unreadable
// state file is warned about and left out. Naming services enables their profiles, as with Stack.
func (e *Env) ExistingStack(ctx context.Context, services ...string) (*stack.Stack, error) {
	return e.stackOf(ctx, func() (*project.Project, error) { return e.loadForDown(ctx, services...) })
}

// stackOf runs load while it connects to the engine; load's error comes first.
func (e *Env) stackOf(ctx context.Context, load func() (*project.Project, error)) (*stack.Stack, error) {
	type connection struct {
		eng *engine.Client
		err error
	}
	connCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	connected := make(chan connection, 1)
	go func() {
		eng, err := e.Connect(connCtx)
		connected <- connection{eng, err}
	}()
	p, err := load()
	if err != nil {
		cancel()
		if c := <-connected; c.eng != nil {
			c.eng.Close()
		}
		return nil, err
	}
	c := <-connected
	if c.err != nil {
		return nil, c.err
	}
	return &stack.Stack{Eng: c.eng, Project: p, UI: e.UI, Progress: e.UI.Progress()}, nil
}

func (e *Env) loadForDown(ctx context.Context, services ...string) (*project.Project, error) {
	o := e.Global.Project
	o.Services = append(o.Services, services...)
	o.NoSchema = true
	p, err := e.load(ctx, o)
	var se *project.StateError
	if errors.As(err, &se) {
		e.UI.Warn("%v; going on without the persisted profiles", se)
		o.NoPersisted = true
		p, err = project.Load(ctx, o)
	}
	if err == nil || !project.IsFileError(err) {
		return p, err // a mistake on the command line (an unknown profile) is the user's to fix
	}
	name := project.KnownName(e.Global.Project)
	if name == "" {
		if project.IsNoFile(err) {
			return nil, err
		}
		return nil, fmt.Errorf("%w (pass -p NAME to act on the project's containers by their labels)", err)
	}
	if !project.IsNoFile(err) {
		e.UI.Warn("%v; acting on project %q's containers by their labels", err, name)
	}
	return project.Bare(name), nil
}
