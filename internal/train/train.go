// Package train runs training jobs as one-off containers of the project and keeps a record of every run.
package train

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/gpu"
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
	// GPUs is the --gpus mode.
	GPUs gpu.Mode
	// Replay names a recorded run to run again on its image with its command and environment.
	Replay string
}

// Run runs one training job and records it; the result is the job's exit code.
func Run(ctx context.Context, env *app.Env, o Options) (int, error) {
	u := env.UI
	p, err := env.Load(ctx)
	if err != nil {
		return 0, err
	}
	var replay *runs.Record
	if o.Replay != "" {
		rec, err := (runs.Store{Dir: p.State.RunsDir()}).Get(o.Replay)
		if err != nil {
			return 0, fmt.Errorf("--replay: %w", err)
		}
		replay = rec
		if o.Job.Service != "" && o.Job.Service != rec.Service {
			return 0, fmt.Errorf("--replay %s: run %s was of service %q, not %q", o.Replay, rec.ID, rec.Service, o.Job.Service)
		}
		o.Job.Service = rec.Service
	}
	service, err := SelectService(p.All, o.Job.Service)
	if err != nil {
		return 0, err
	}
	o.Job.Service = service
	if _, ok := p.Services[service]; !ok {
		// The target's own profile is on for this command, as with compose run.
		if p, err = env.Load(ctx, service); err != nil {
			return 0, err
		}
	}
	eng, err := env.Connect(ctx)
	if err != nil {
		return 0, err
	}
	st := &stack.Stack{Eng: eng, Project: p, UI: u, Progress: u.Progress()}
	svc := p.Services[service]

	store := runs.Store{Dir: p.State.RunsDir()}
	if err := p.State.Ensure(); err != nil {
		return 0, err
	}
	commit, dirty, inGit := runs.GitState(ctx, p.WorkingDir)
	if replay != nil {
		applyReplay(u, &o.Job, replay)
		if h, err := stack.ConfigHash(svc); err == nil && replay.ConfigHash != "" && h != replay.ConfigHash {
			u.Warn("service %q's configuration changed since run %s (config hash %.12s, now %.12s)", service, replay.ID, replay.ConfigHash, h)
		}
		if replay.GitCommit != "" && commit != replay.GitCommit {
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

	policy := gpu.NewPolicy(eng, o.GPUs, p.State.CacheDir(), func(msg string) { u.Notice("%s", msg) })
	policy.TrainingJob = true
	o.Job.Devices = policy.Requests(false)
	o.Job.TargetDevices = policy.Requests(true)
	o.Job.NoGPU = policy.Retry

	id := store.NewID(time.Now())
	logw, err := store.LogWriter(id, LogLimit)
	if err != nil {
		return 0, err
	}
	host, _ := os.Hostname()
	if !eng.IsLocal() {
		host = eng.Host
	}
	rec := &runs.Record{
		ID: id, Project: p.Name, Service: service, Host: host, MlstackVersion: app.Version,
		LogFile: filepath.Join(project.StateDirName, "runs", id+".log"),
	}
	if inGit {
		rec.GitCommit, rec.GitDirty = commit, &dirty
	}
	started := false
	o.Job.Stdout, o.Job.Stderr = logw, logw
	o.Job.Started = func(s stack.OneOffStarted) {
		started = true
		rec.ContainerName = s.Name
		rec.StartedAt = s.StartedAt
		rec.ImageID = s.ImageID
		rec.ConfigHash = s.ConfigHash
		rec.Entrypoint, rec.Command = s.Entrypoint, s.Command
		rec.Env, rec.Masked = runs.MaskEnv(s.Env)
		if in, err := eng.ImageInspect(context.WithoutCancel(ctx), s.ImageID); err == nil {
			rec.ImageTags = in.RepoTags
		}
		rec.GPUsRequested, rec.GPUsGranted = "none", "none"
		if d, ok := policy.Decision(service); ok {
			rec.GPUsRequested, rec.GPUsGranted = d.Requested, d.Granted
		}
		if err := store.Save(rec); err != nil {
			u.Warn("%v", err)
		}
	}
	code, runErr := st.RunOneOff(ctx, o.Job)
	if err := logw.Close(); err != nil {
		u.Warn("%v", err)
	}
	if !started {
		// Nothing ran: no record, and no empty log beside none.
		_ = os.Remove(store.LogPath(id))
		if runErr != nil && replay != nil {
			runErr = fmt.Errorf("--replay %s: %w", replay.ID, runErr)
		}
		return code, runErr
	}
	rec.Finish(time.Now(), code)
	if err := store.Save(rec); err != nil {
		u.Warn("%v", err)
	}
	if runErr == nil {
		u.Info("Run %s: exit code %d after %s (`mlstack runs show %s`)", id, code, rec.Duration().Round(100*time.Millisecond), id)
	}
	return code, runErr
}

// applyReplay sets the job to the recorded run's image, entrypoint, command and environment.
// Masked values come from the current environment; the user's -e flags still win.
func applyReplay(u *ui.Streams, job *stack.OneOffOptions, rec *runs.Record) {
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
	var env, fromEnv, missing []string
	for _, k := range sortedKeys(rec.Env) {
		v := rec.Env[k]
		if slices.Contains(rec.Masked, k) {
			cur, ok := os.LookupEnv(k)
			if !ok {
				missing = append(missing, k)
				continue
			}
			fromEnv = append(fromEnv, k)
			v = cur
		}
		env = append(env, k+"="+v)
	}
	job.Env = append(env, job.Env...)
	u.Info("Replaying run %s: image %s, command %s", rec.ID, rec.ImageID, strings.Join(rec.Command, " "))
	if len(fromEnv) > 0 {
		u.Notice("masked values of %s taken from the current environment", strings.Join(fromEnv, ", "))
	}
	if len(missing) > 0 {
		u.Warn("%s masked in run %s and not set now: left out", strings.Join(missing, ", "), rec.ID)
	}
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

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
