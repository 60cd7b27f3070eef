// Package dockerapp is the Docker backend of app.Backend: up, down, ps, logs, run and train as the
// stack, pipeline and train use cases do them on the Docker engine.
package dockerapp

import (
	"context"
	"fmt"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/pipeline"
	"github.com/mlstack/mlstack/internal/runs"
	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/train"
)

// Backend runs the commands on the Docker engine Env connects to.
type Backend struct{ env *app.Env }

// New returns the Docker backend of env.
func New(env *app.Env) *Backend { return &Backend{env: env} }

// Up is `up` on Docker.
func (b *Backend) Up(ctx context.Context, uo app.UpOptions) error {
	o := uo.Stack
	st, err := b.env.Stack(ctx, o.Services...)
	if err != nil {
		return err
	}
	for n := range o.Scale {
		if err := st.Project.CheckServices([]string{n}); err != nil {
			return fmt.Errorf("--scale: %w", err)
		}
	}
	if o.ExitCodeFrom != "" {
		if err := st.Project.CheckServices([]string{o.ExitCodeFrom}); err != nil {
			return fmt.Errorf("--exit-code-from: %w", err)
		}
	}
	hooks, err := pipeline.New(st, uo.Images)
	if err != nil {
		return err
	}
	hooks.Up(&o)
	return st.Up(ctx, o)
}

// Down is `down` on Docker.
func (b *Backend) Down(ctx context.Context, o stack.DownOptions) error {
	st, err := b.env.ExistingStack(ctx)
	if err != nil {
		return err
	}
	if !o.RemoveOrphans {
		o.EndedJobs = b.endedJobs(ctx)
	}
	return st.Down(ctx, o)
}

// endedJobs names the one-off containers of runs that are over, after settling the records of runs
// whose mlstack was killed; when the records cannot be read, down says so and leaves every job.
func (b *Backend) endedJobs(ctx context.Context) map[string]bool {
	store, err := RunStore(ctx, b.env)
	if err == nil {
		var ended map[string]bool
		if ended, err = store.EndedContainers(); err == nil {
			return ended
		}
	}
	b.env.UI.Warn("read run records: %v; exited training jobs are left in place", err)
	return nil
}

// RunStore opens the run records of the project (loading its files only to find its directory) and
// settles records of runs whose mlstack was killed against the engine, when there are any.
func RunStore(ctx context.Context, env *app.Env) (runs.Store, error) {
	p, err := env.Load(ctx)
	if err != nil {
		return runs.Store{}, err
	}
	store := runs.Store{Dir: p.State.RunsDir()}
	if open, err := store.Unfinished(); err == nil && len(open) > 0 {
		eng, err := env.Connect(ctx)
		if err != nil {
			env.UI.Warn("runs shown as recorded, not checked against the engine: %v", err)
			return store, nil
		}
		if _, err := train.Reconcile(ctx, eng, store); err != nil {
			env.UI.Warn("check runs against the engine: %v", err)
		}
	}
	return store, nil
}

// Ps is `ps` on Docker: the project's containers.
func (b *Backend) Ps(ctx context.Context, o stack.PsOptions) error {
	st, err := b.env.ExistingStack(ctx)
	if err != nil {
		return err
	}
	if len(st.Project.All) > 0 {
		if err := st.Project.CheckServices(o.Services); err != nil {
			return err
		}
	}
	views, err := st.Views(ctx, o)
	if err != nil {
		return err
	}
	return st.WritePs(b.env.UI.Out, views, o)
}

// Logs is `logs` on Docker.
func (b *Backend) Logs(ctx context.Context, o stack.LogsOptions) error {
	// Naming a service enables its profile, so a job's logs are explained, not refused.
	st, err := b.env.ExistingStack(ctx, o.Services...)
	if err != nil {
		return err
	}
	return st.Logs(ctx, o)
}

// Run is `run` on Docker: a one-off container of the service.
func (b *Backend) Run(ctx context.Context, jo app.JobOptions) (int, error) {
	o := jo.Job
	st, err := b.env.Stack(ctx, o.Service)
	if err != nil {
		return 0, err
	}
	hooks, err := pipeline.New(st, jo.Images)
	if err != nil {
		return 0, err
	}
	hooks.OneOff(&o)
	return st.RunOneOff(ctx, o)
}

// Train is `train` on Docker: a recorded one-off container of the training service.
func (b *Backend) Train(ctx context.Context, jo app.JobOptions) (int, error) {
	o := train.Options{Job: jo.Job, Images: jo.Images, Replay: jo.Replay}
	p, err := train.Target(ctx, b.env.Load, &o)
	if err != nil {
		return 0, err
	}
	eng, err := b.env.Connect(ctx)
	if err != nil {
		return 0, err
	}
	te, err := train.NewEnv(&stack.Stack{Eng: eng, Project: p, UI: b.env.UI, Progress: b.env.UI.Progress()}, eng, o.Images, app.Version)
	if err != nil {
		return 0, err
	}
	return train.Run(ctx, te, o)
}
