package kubeapp

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/kube"
	"github.com/mlstack/mlstack/internal/runs"
	"github.com/mlstack/mlstack/internal/train"
)

// Train runs one training job as a Kubernetes Job and records it as train does on Docker (the same
// service choice, MLflow wiring and run store), plus the cluster, namespace, Job and node.
func (b *Backend) Train(ctx context.Context, o app.JobOptions) (int, error) {
	u := b.env.UI
	if o.Replay != "" {
		return 0, errors.New("--replay runs a recorded container image on Docker; it is not supported on a cluster yet")
	}
	p, err := b.env.Load(ctx)
	if err != nil {
		return 0, err
	}
	service, err := train.SelectService(p.All, o.Job.Service)
	if err != nil {
		return 0, err
	}
	st, p, err := b.stack(ctx, service)
	if err != nil {
		return 0, err
	}
	imgs, err := b.images(ctx, p, o.Images)
	if err != nil {
		return 0, err
	}
	if tsvc, uri, ok := train.WireTracking(p.Services, service, o.Job); ok {
		// On a cluster the service resolves by its object name (see kube.Name).
		uri = strings.Replace(uri, "//"+tsvc+":", "//"+kube.Name(tsvc)+":", 1)
		o.Job.Env = append([]string{train.TrackingEnv + "=" + uri}, o.Job.Env...)
		u.Info("MLflow: %s=%s (service %q)", train.TrackingEnv, uri, tsvc)
	}
	if err := p.State.Ensure(); err != nil {
		return 0, err
	}
	rec := &runs.Record{Project: p.Name, Service: service, Host: st.Cluster.Server, Cluster: st.Cluster.Context, Namespace: st.Namespace}
	if commit, dirty, inGit := runs.GitState(ctx, p.WorkingDir); inGit {
		rec.GitCommit, rec.GitDirty = commit, &dirty
	}
	run, err := train.StartRecording(ctx, u, runs.Store{Dir: p.State.RunsDir()}, rec, app.Version)
	if err != nil {
		return 0, err
	}
	// `mlstack-kube train | head` must not end the run's log: see train.PipeTolerant.
	stdout := train.NewPipeTolerant(u.Out)
	jo := kube.JobOptions{
		Service: service, Command: o.Job.Command, Env: o.Job.Env, GPUs: o.Images.GPUs, Training: true,
		NoDeps: o.Job.NoDeps, WaitTimeout: o.Job.WaitTimeout, Images: imgs, Stdout: io.MultiWriter(run.Output(), stdout),
		Started: func(s kube.JobStarted) {
			run.Started(func(rec *runs.Record) {
				rec.Job, rec.Node, rec.ContainerName = s.Job, s.Node, s.Pod
				rec.StartedAt = s.StartedAt
				rec.ImageTags = []string{s.Image}
				train.Launch(rec, s.Entrypoint, s.Command, s.Env)
				rec.GPUsRequested, rec.GPUsGranted = s.GPUsRequested, s.GPUsGranted
			})
		},
	}
	code, runErr := st.RunJob(ctx, jo)
	if stdout.Err() != nil {
		u.Notice("stdout closed (%v): the job went on; its output is kept in the run's log", stdout.Err())
	}
	rec = run.Finish(code)
	if rec != nil && runErr == nil {
		u.Info("Run %s: Job %s on node %s, exit code %d (`mlstack runs show %s`)", rec.ID, rec.Job, rec.Node, code, rec.ID)
	}
	return code, runErr
}
