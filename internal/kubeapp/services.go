package kubeapp

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/kube"
	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/ui"
)

// Up applies the services in dependency order; without -d it then follows their logs.
func (b *Backend) Up(ctx context.Context, uo app.UpOptions) error {
	o := uo.Stack
	st, p, err := b.stack(ctx, o.Services...)
	if err != nil {
		return err
	}
	if err := p.CheckServices(o.Services); err != nil {
		return err
	}
	images, err := b.images(ctx, p, uo.Images)
	if err != nil {
		return err
	}
	ko := kube.UpOptions{Services: o.Services, NoDeps: o.NoDeps, Wait: o.Wait, WaitTimeout: o.WaitTimeout, GPUs: uo.Images.GPUs, Images: images}
	if err := st.Up(ctx, ko); err != nil {
		return err
	}
	if o.Detach {
		return nil
	}
	b.env.UI.Info("On a cluster up returns once everything is applied; following logs (Ctrl-C stops following, the services keep running)")
	return b.follow(ctx, st, kube.LogsOptions{Follow: true}, false)
}

// follow prints the services' logs, prefixed by service unless noPrefix; Ctrl-C ends it quietly.
func (b *Backend) follow(ctx context.Context, st *kube.Stack, ko kube.LogsOptions, noPrefix bool) error {
	pfx := b.env.UI.NewPrefixer(st.Project.ServiceNames(), noPrefix)
	ko.Writer = func(s string) io.Writer { return pfx.Writer(s) }
	err := st.Logs(ctx, ko)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Down deletes what carries the project's labels.
func (b *Backend) Down(ctx context.Context, o stack.DownOptions) error {
	st, err := b.existingStack(ctx)
	if err != nil {
		return err
	}
	ko := kube.DownOptions{Volumes: o.Volumes}
	if o.StopTimeout != nil {
		ko.Timeout = time.Duration(*o.StopTimeout) * time.Second
	}
	return st.Down(ctx, ko)
}

// Ps lists each service's Deployment or Job.
func (b *Backend) Ps(ctx context.Context, o stack.PsOptions) error {
	st, err := b.existingStack(ctx)
	if err != nil {
		return err
	}
	rows, err := st.Ps(ctx, o.Services)
	if err != nil {
		return err
	}
	if o.Format == "json" {
		return ui.WriteJSONLines(b.env.UI.Out, rows)
	}
	return kube.WritePs(b.env.UI.Out, rows)
}

// Logs prints, or follows, the pods' logs.
func (b *Backend) Logs(ctx context.Context, o stack.LogsOptions) error {
	st, err := b.existingStack(ctx)
	if err != nil {
		return err
	}
	ko := kube.LogsOptions{Services: o.Services, Follow: o.Follow}
	if o.Tail != "" && o.Tail != "all" {
		n, err := strconv.ParseInt(o.Tail, 10, 64)
		if err != nil {
			return fmt.Errorf("--tail %q: want a number or all", o.Tail)
		}
		ko.Tail = &n
	}
	return b.follow(ctx, st, ko, o.NoPrefix)
}

// Run runs the service once, as a Job.
func (b *Backend) Run(ctx context.Context, jo app.JobOptions) (int, error) {
	o := jo.Job
	st, p, err := b.stack(ctx, o.Service)
	if err != nil {
		return 0, err
	}
	images, err := b.images(ctx, p, jo.Images)
	if err != nil {
		return 0, err
	}
	return st.RunJob(ctx, kube.JobOptions{Service: o.Service, Command: o.Command, Env: o.Env, GPUs: jo.Images.GPUs, NoDeps: o.NoDeps, Images: images, Stdout: b.env.UI.Out, WaitTimeout: o.WaitTimeout})
}
