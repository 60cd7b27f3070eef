// Package train runs training jobs as one-off containers of the project and keeps a record of every run.
package train

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/image"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/metrics"
	"github.com/mlstack/mlstack/internal/pipeline"
	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/runs"
	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/ui"
)

// LogLimit bounds a run's kept output: the first and last halves survive (see runs.LogWriter).
const LogLimit = 16 << 20

// Options are `mlstack train`'s choices; Job.Service may be empty (see SelectService).
type Options struct {
	Job stack.OneOffOptions
	// Images are the image and GPU choices (--build, --no-build, --pull, --gpus): a build: service is
	// built when its inputs changed and the job runs on the new image.
	Images pipeline.Options
	// Replay names a recorded run to run again on its image with its command and environment: the
	// job never builds (its dependencies start as under up).
	Replay string
}

// Env is what a training run uses: the project on its engine, the command's image and GPU hooks,
// the run records and the terminal. NewEnv makes it.
type Env struct {
	// Stack is the project (loaded by Target) on its engine; its terminal is the job's, which
	// outlives a closed stdout.
	Stack *stack.Stack
	// Engine answers what the run's record and the tidying of earlier runs ask.
	Engine Engine
	// Hooks are the command's image and GPU hooks; the record reads their GPU decisions.
	Hooks *pipeline.Hooks
	// Store keeps the run records and logs.
	Store runs.Store
	// UI is the command's terminal, for mlstack's own messages.
	UI *ui.Streams
	// Version is the mlstack version each record names.
	Version string

	stdout *PipeTolerant // the job's stdout, when NewEnv made it
}

// Engine is what a training run asks the engine itself, besides the stack's calls: the containers
// of earlier runs, the tags of the job's image, and where the engine is.
type Engine interface {
	Containers
	ImageInspect(ctx context.Context, ref string, opts ...engine.ImageInspectOption) (image.InspectResponse, error)
	// IsLocal reports whether the engine runs on this machine (else its Addr is the run's host).
	IsLocal() bool
	Addr() string
}

// Target resolves the service a training command runs (the replayed run's, the named one, else
// the default: see SelectService) and loads the project with that service's profile on, as compose
// run does. It sets o.Job.Service, and o.Replay to the replayed run's full ID.
func Target(ctx context.Context, load func(ctx context.Context, services ...string) (*project.Project, error), o *Options) (*project.Project, error) {
	p, err := load(ctx)
	if err != nil {
		return nil, err
	}
	if o.Replay != "" {
		rec, err := (runs.Store{Dir: p.State.RunsDir()}).Get(o.Replay)
		if err != nil {
			return nil, fmt.Errorf("--replay: %w", err)
		}
		if o.Job.Service != "" && o.Job.Service != rec.Service {
			return nil, fmt.Errorf("--replay %s: run %s was of service %q, not %q", o.Replay, rec.ID, rec.Service, o.Job.Service)
		}
		o.Job.Service, o.Replay = rec.Service, rec.ID
	}
	service, err := SelectService(p.All, o.Job.Service)
	if err != nil {
		return nil, err
	}
	o.Job.Service = service
	if _, ok := p.Services[service]; !ok {
		return load(ctx, service)
	}
	return p, nil
}

// NewEnv prepares a training run of st's project (see Target) on eng, which serves st too: the
// job's terminal outlives a closed stdout, and the command's hooks give the job the engine's GPUs
// under --gpus auto (pipeline.Options.TrainingJob).
func NewEnv(st *stack.Stack, eng Engine, images pipeline.Options, version string) (Env, error) {
	u := st.UI
	if err := st.Project.State.Ensure(); err != nil {
		return Env{}, err
	}
	// `mlstack train | head` must not end the run: once stdout's reader is gone the output still
	// goes to the run's log, and the record completes.
	stdout := NewPipeTolerant(u.Out)
	ju := u.WithOut(stdout)
	jst := &stack.Stack{Eng: st.Eng, API: st.API, Project: st.Project, UI: ju, Progress: st.Progress}
	images.TrainingJob = true
	hooks, err := pipeline.New(jst, images)
	if err != nil {
		return Env{}, err
	}
	return Env{Stack: jst, Engine: eng, Hooks: hooks, Store: runs.Store{Dir: st.Project.State.RunsDir()}, UI: u, Version: version, stdout: stdout}, nil
}

// Run runs one training job of e's project and records it; the result is the job's exit code.
// o.Job.Service is the service Target resolved.
func Run(ctx context.Context, e Env, o Options) (int, error) {
	u, st, p, store := e.UI, e.Stack, e.Stack.Project, e.Store
	var replay *runs.Record
	if o.Replay != "" {
		rec, err := store.Get(o.Replay)
		if err != nil {
			return 0, fmt.Errorf("--replay: %w", err)
		}
		replay = rec
	}
	service := o.Job.Service
	svc, ok := p.Services[service]
	if !ok {
		return 0, fmt.Errorf("train: service %q is not enabled in project %q", service, p.Name)
	}
	// The repository's state is read by two git processes (git status can take long in a large
	// repository) while the job's dependencies are checked and its container created; the job starts
	// only once they have read it, so a file the job writes never counts as a change it ran with.
	gitc := make(chan gitState, 1)
	go func() {
		var g gitState
		g.commit, g.dirty, g.inGit = runs.GitState(ctx, p.WorkingDir)
		gitc <- g
	}()
	git := sync.OnceValue(func() gitState { return <-gitc })
	// Tidying earlier runs and reading the engine's runtimes for the GPU decision are each a round
	// trip to the engine before the job's create: together rather than in turn.
	var wg sync.WaitGroup
	wg.Go(func() { tidy(ctx, u, e.Engine, store, p.Name) })
	if e.Hooks != nil && e.Hooks.GPUs != nil {
		wg.Go(func() { e.Hooks.GPUs.Detector.Prefetch(ctx) })
	}
	wg.Wait()
	if replay != nil {
		if err := applyReplay(u, &o.Job, replay, svc); err != nil {
			return 0, err
		}
		if h, err := stack.ConfigHash(svc); err == nil && replay.ConfigHash != "" && h != replay.ConfigHash {
			u.Warn("service %q's configuration changed since run %s (config hash %.12s, now %.12s)", service, replay.ID, replay.ConfigHash, h)
		}
		if commit := git().commit; replay.GitCommit != "" && commit != replay.GitCommit {
			now := commit
			if now == "" {
				now = "no git commit"
			}
			u.Warn("run %s was made at git commit %.12s; the project is at %.12s now", replay.ID, replay.GitCommit, now)
		}
	}
	if !hasEnv(svc, o.Job, TrackingEnv) {
		if tsvc, uri, ok := Tracking(p.Services, service); ok {
			o.Job.Env = append([]string{TrackingEnv + "=" + uri}, o.Job.Env...)
			u.Info("MLflow: %s=%s (service %q)", TrackingEnv, uri, tsvc)
		}
	}

	e.Hooks.OneOff(&o.Job)
	policy := e.Hooks.GPUs

	host, _ := os.Hostname()
	if !e.Engine.IsLocal() {
		host = e.Engine.Addr()
	}
	rec := &runs.Record{Project: p.Name, Service: service, Host: host}
	run, err := StartRecording(ctx, u, store, rec, e.Version)
	if err != nil {
		return 0, err
	}
	o.Job.Stdout, o.Job.Stderr = run.Output(), run.Log()
	o.Job.BeforeStart = func() { git() }
	o.Job.Started = func(s stack.OneOffStarted) {
		run.Started(func(rec *runs.Record) {
			if g := git(); g.inGit {
				rec.GitCommit, rec.GitDirty = g.commit, &g.dirty
			}
			rec.ContainerName = s.Name
			rec.StartedAt = s.StartedAt
			rec.ImageID = s.ImageID
			rec.ConfigHash = s.ConfigHash
			Launch(rec, s.Entrypoint, s.Command, s.Env)
			if in, err := e.Engine.ImageInspect(context.WithoutCancel(ctx), s.ImageID); err == nil {
				rec.ImageTags = in.RepoTags
			}
			rec.GPUsRequested, rec.GPUsGranted = "none", "none"
			if d, ok := policy.Decision(service); ok {
				rec.GPUsRequested, rec.GPUsGranted = d.Requested, d.Granted
			}
		})
	}
	code, runErr := st.RunOneOff(ctx, o.Job)
	if e.stdout != nil && e.stdout.Err() != nil {
		u.Notice("stdout closed (%v): the job went on; its output is kept in the run's log", e.stdout.Err())
	}
	rec = run.Finish(code)
	if rec == nil {
		// Nothing ran: no record, and no empty log beside none.
		if runErr != nil && replay != nil {
			runErr = fmt.Errorf("--replay %s: %w", replay.ID, runErr)
		}
		return code, runErr
	}
	if runErr == nil {
		u.Info("Run %s: exit code %d after %s (`mlstack runs show %s`)", rec.ID, code, rec.Duration().Round(100*time.Millisecond), rec.ID)
	}
	return code, runErr
}

// gitState is the project's repository as runs.GitState reads it.
type gitState struct {
	commit       string
	dirty, inGit bool
}

// tidy settles the records of runs whose mlstack was killed and removes their exited containers,
// before a new run; what it cannot do is a warning, never a reason not to train.
func tidy(ctx context.Context, u *ui.Streams, eng Containers, store runs.Store, project string) {
	if _, err := Reconcile(ctx, eng, store); err != nil {
		u.Warn("check earlier runs against the engine: %v", err)
	}
	removed, err := RemoveFinished(ctx, eng, store, project)
	if err != nil {
		u.Warn("%v", err)
	}
	for _, n := range removed {
		u.Status("Container "+n, "Removed (finished run)")
	}
}

// metricsEvery bounds how often a running job's record is rewritten with new metrics.
const metricsEvery = time.Second

// keepMetrics copies the recorder's metrics into the record and saves it, at most once every
// metricsEvery and only when a metric line came, from the job's start until ctx ends.
func keepMetrics(ctx context.Context, mu *sync.Mutex, rec *runs.Record, m *metrics.Recorder, save func() error) {
	t := time.NewTicker(metricsEvery)
	defer t.Stop()
	saved := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v := m.Version()
		if v == saved {
			continue
		}
		mu.Lock()
		if !rec.StartedAt.IsZero() {
			rec.Metrics, rec.MetricSeries = m.Last(), m.Series()
			if err := save(); err == nil {
				saved = v
			}
		}
		mu.Unlock()
	}
}

// applyReplay sets the job to the recorded run's image, entrypoint, command and environment. A
// masked value is never passed to the job: a masked variable comes from the current environment,
// else from -e, --env-file or the service's own environment; a masked argument needs the command
// given anew. What cannot be restored is an error naming it.
func applyReplay(u *ui.Streams, job *stack.OneOffOptions, rec *runs.Record, svc types.ServiceConfig) error {
	if len(rec.MaskedArgs) > 0 {
		if job.Command == nil && slices.ContainsFunc(rec.Command, hasMask) {
			return fmt.Errorf("--replay %s: the run's command had secret values (%s) masked in its record; give the command after -- to replay it", rec.ID, strings.Join(rec.MaskedArgs, ", "))
		}
		if job.Entrypoint == nil && slices.ContainsFunc(rec.Entrypoint, hasMask) {
			return fmt.Errorf("--replay %s: the run's entrypoint had secret values (%s) masked in its record; give it with --entrypoint to replay it", rec.ID, strings.Join(rec.MaskedArgs, ", "))
		}
	}
	var env, fromEnv, missing []string
	for _, k := range slices.Sorted(maps.Keys(rec.Env)) {
		v := rec.Env[k]
		if slices.Contains(rec.Masked, k) || hasMask(v) {
			cur, ok := os.LookupEnv(k)
			if !ok {
				if !hasEnv(svc, *job, k) {
					missing = append(missing, k)
				}
				continue // -e, --env-file or the service's environment give it today
			}
			fromEnv = append(fromEnv, k)
			v = cur
		}
		env = append(env, k+"="+v)
	}
	if len(missing) > 0 {
		return fmt.Errorf("--replay %s: %s masked in the run's record and not set now; export %s or pass -e %s=VALUE",
			rec.ID, strings.Join(missing, ", "), plural(missing, "it", "them"), missing[0])
	}
	job.ImageID = rec.ImageID
	if job.Entrypoint == nil && rec.Entrypoint != nil {
		job.Entrypoint = rec.Entrypoint
	}
	if job.Command == nil {
		job.Command = rec.Command
		if job.Command == nil {
			job.Command = []string{}
		}
	}
	job.Env = append(env, job.Env...)
	u.Info("Replaying run %s: image %s, command %s", rec.ID, rec.ImageID, strings.Join(job.Command, " "))
	if len(fromEnv) > 0 {
		u.Notice("masked values of %s taken from the current environment", strings.Join(fromEnv, ", "))
	}
	return nil
}

func hasMask(s string) bool { return strings.Contains(s, runs.Mask) }

func plural(xs []string, one, many string) string {
	if len(xs) == 1 {
		return one
	}
	return many
}

// hasEnv reports whether the job sets key through the service, -e or --env-file.
func hasEnv(svc types.ServiceConfig, job stack.OneOffOptions, key string) bool {
	if v, ok := svc.Environment[key]; ok && v != nil {
		return true
	}
	for _, kv := range job.Env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	if len(job.EnvFiles) > 0 {
		if m, err := dotenv.GetEnvFromFile(map[string]string{}, job.EnvFiles); err == nil {
			if _, ok := m[key]; ok {
				return true
			}
		}
	}
	return false
}
