// Package app is the seam between the command line and the use cases: it turns global options into a
// loaded project and a connected engine, once per command, and carries the process's signals.
package app

import (
	"context"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/kube"
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
	Kube kube.Options
}

// Env is what a command runs with.
type Env struct {
	Global Global
	UI     *ui.Streams
	// Kill is closed on the second Ctrl-C (the first cancels the command's context).
	Kill <-chan struct{}
}

// Load loads the project for this command.
func (e *Env) Load(ctx context.Context, services ...string) (*project.Project, error) {
	o := e.Global.Project
	o.Services = append(o.Services, services...)
	return project.Load(ctx, o)
}

// Connect connects to the engine.
func (e *Env) Connect(ctx context.Context) (*engine.Client, error) {
	return engine.Connect(ctx, e.Global.Engine)
}

// Stack loads the project and connects to the engine. Loading comes first, so a broken file is
// reported even when the daemon is down.
func (e *Env) Stack(ctx context.Context, services ...string) (*stack.Stack, error) {
	p, err := e.Load(ctx, services...)
	if err != nil {
		return nil, err
	}
	eng, err := e.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &stack.Stack{Eng: eng, Project: p, UI: e.UI}, nil
}

// StackForDown is Stack for commands that act on what exists (down, ps): with -p and no compose
// file, they work from labels alone, as compose does.
func (e *Env) StackForDown(ctx context.Context) (*stack.Stack, error) {
	p, err := e.Load(ctx)
	if err != nil {
		if e.Global.Project.Name == "" || !project.IsNoFile(err) {
			return nil, err
		}
		p = project.Bare(e.Global.Project.Name)
	}
	eng, err := e.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &stack.Stack{Eng: eng, Project: p, UI: e.UI}, nil
}
