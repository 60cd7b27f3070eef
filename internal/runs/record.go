// Package runs keeps the records and logs of `mlstack train` runs under <project>/.mlstack/runs/.
package runs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mlstack/mlstack/internal/metrics"
)

// Record is what mlstack remembers about one training run, stored as <id>.json.
type Record struct {
	ID            string `json:"id"`
	Project       string `json:"project"`
	Service       string `json:"service"`
	ContainerName string `json:"container_name"`
	// Entrypoint is the entrypoint the job ran with (the image's unless overridden), for replay.
	Entrypoint []string  `json:"entrypoint,omitempty"`
	Command    []string  `json:"command,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	// FinishedAt is zero (and omitted) while the run is going; ExitCode means nothing until it is set.
	FinishedAt time.Time `json:"finished_at,omitzero"`
	DurationMS int64     `json:"duration_ms"`
	ExitCode   int       `json:"exit_code"`
	ImageID    string    `json:"image_id"`
	ImageTags  []string  `json:"image_tags,omitempty"`
	GitCommit  string    `json:"git_commit"`
	// GitDirty is nil (and omitted) when the project is not in a git repository.
	GitDirty   *bool  `json:"git_dirty,omitempty"`
	ConfigHash string `json:"config_hash"`
	// Env holds the container's environment with secret values (or their secret parts) replaced by "***".
	Env    map[string]string `json:"env,omitempty"`
	Masked []string          `json:"masked,omitempty"`
	// MaskedArgs name the flags and arguments of Entrypoint and Command whose values are "***".
	MaskedArgs     []string `json:"masked_args,omitempty"`
	GPUsRequested  string   `json:"gpus_requested"`
	GPUsGranted    string   `json:"gpus_granted"`
	Host           string   `json:"host"`
	MlstackVersion string   `json:"mlstack_version"`
	LogFile        string   `json:"log_file"`
	// Owner is the mlstack process that runs the job, "host:pid", so that another process tells a run
	// in progress from one whose mlstack was killed.
	Owner string `json:"owner,omitempty"`
	// Lost is set when the job's container vanished before its end was recorded (mlstack was killed,
	// then the container was removed): the exit code is unknown.
	Lost bool `json:"lost,omitempty"`
	// Metrics are the last values the job reported on MLSTACK_METRIC lines (see internal/metrics).
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// MetricSeries holds the reported points per metric, bounded, for curves.
	MetricSeries map[string][]metrics.Point `json:"metric_series,omitempty"`
	// Cluster, Namespace, Job and Node are set for runs on Kubernetes (the kube context, where the
	// Job ran, and the node its pod landed on).
	Cluster   string `json:"cluster,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Job       string `json:"job,omitempty"`
	Node      string `json:"node,omitempty"`
}

// Finished reports whether the run has ended with a known exit code.
func (r *Record) Finished() bool { return !r.FinishedAt.IsZero() }

// Running reports whether the run is, as far as its record says, still going.
func (r *Record) Running() bool { return !r.Finished() && !r.Lost }

// Container is what the engine says about a run's container, for Reconcile.
type Container struct {
	Exists, Running bool
	ExitCode        int
	FinishedAt      time.Time
}

// Reconcile brings a record that says "running" in line with its container, once the mlstack
// process that ran it is gone (see OwnerAlive): an exited container gives its exit code and end
// time, a vanished one makes the run lost. It reports whether the record changed.
func (r *Record) Reconcile(c Container) bool {
	if !r.Running() || c.Running {
		return false
	}
	if !c.Exists {
		r.Lost = true
		return true
	}
	at := c.FinishedAt
	if at.IsZero() || at.Before(r.StartedAt) {
		at = r.StartedAt
	}
	r.Finish(at, c.ExitCode)
	return true
}

// OwnerAlive reports whether the process named by Owner still runs on this host (a process on
// another host cannot be checked and counts as gone).
func (r *Record) OwnerAlive() bool {
	host, pidText, ok := strings.Cut(r.Owner, ":")
	me, _ := os.Hostname()
	if !ok || host != me {
		return false
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return false
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// OwnerHere is the Owner value for this process.
func OwnerHere() string {
	host, _ := os.Hostname()
	return host + ":" + strconv.Itoa(os.Getpid())
}

// Finish sets the end time, the duration and the exit code.
func (r *Record) Finish(at time.Time, exitCode int) {
	r.FinishedAt = at
	r.DurationMS = at.Sub(r.StartedAt).Milliseconds()
	r.ExitCode = exitCode
}

// Duration is the run's length, or zero while it is going.
func (r *Record) Duration() time.Duration { return time.Duration(r.DurationMS) * time.Millisecond }

// gitTimeout bounds each git call: a record must not wait on a slow file system.
const gitTimeout = 3 * time.Second

// GitState returns HEAD's commit and whether the work tree has changes (ignoring .mlstack/) for the
// repository containing dir. ok is false, quietly, when dir is not in a repository or git is missing.
func GitState(ctx context.Context, dir string) (commit string, dirty bool, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	out, err := git(ctx, dir, "rev-parse", "--verify", "HEAD")
	if err != nil {
		return "", false, false
	}
	commit = strings.TrimSpace(string(out))
	// The pathspec keeps untracked .mlstack directories (records, caches) from making the tree dirty
	// anywhere in the repository, also when the project is a subdirectory of it.
	status, err := git(ctx, dir, "status", "--porcelain", "-z", "--", ":(top,exclude,glob)**/.mlstack/**")
	if err != nil {
		return commit, false, true
	}
	entries := bytes.Split(status, []byte{0})
	for i := 0; i < len(entries); i++ {
		entry := entries[i]
		if len(entry) < 4 {
			continue
		}
		if entry[0] == 'R' || entry[0] == 'C' {
			i++ // a rename or copy is followed by its source path
		}
		path := string(entry[3:])
		if !slices.Contains(strings.Split(strings.TrimSuffix(path, "/"), "/"), ".mlstack") {
			return commit, true, true
		}
	}
	return commit, false, true
}

func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	// Without this, git status takes the index lock and can fail a concurrent git command of the user.
	cmd.Env = append(cmd.Environ(), "GIT_OPTIONAL_LOCKS=0", "GIT_TERMINAL_PROMPT=0")
	return cmd.Output()
}
