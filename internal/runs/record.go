// Package runs keeps the records and logs of `mlstack train` runs under <project>/.mlstack/runs/.
package runs

import (
	"bytes"
	"context"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Record is what mlstack remembers about one training run, stored as <id>.json.
type Record struct {
	ID            string `json:"id"`
	Project       string `json:"project"`
	Service       string `json:"service"`
	ContainerName string `json:"container_name"`
	// Entrypoint is the entrypoint the job ran with (the image's unless overridden), for replay.
	Entrypoint []string  `json:"entrypoint,omitempty"`
	Command    []string  `json:"command"`
	StartedAt  time.Time `json:"started_at"`
	// FinishedAt is zero (and omitted) while the run is going; ExitCode means nothing until it is set.
	FinishedAt time.Time `json:"finished_at,omitzero"`
	DurationMS int64     `json:"duration_ms"`
	ExitCode   int       `json:"exit_code"`
	ImageID    string    `json:"image_id"`
	ImageTags  []string  `json:"image_tags"`
	GitCommit  string    `json:"git_commit"`
	// GitDirty is nil (and omitted) when the project is not in a git repository.
	GitDirty   *bool  `json:"git_dirty,omitempty"`
	ConfigHash string `json:"config_hash"`
	// Env holds the container's environment with secret values replaced by "***".
	Env            map[string]string `json:"env"`
	Masked         []string          `json:"masked"`
	GPUsRequested  string            `json:"gpus_requested"`
	GPUsGranted    string            `json:"gpus_granted"`
	Host           string            `json:"host"`
	MlstackVersion string            `json:"mlstack_version"`
	LogFile        string            `json:"log_file"`
	// Cluster, Namespace, Job and Node are set for runs on Kubernetes (the kube context, where the
	// Job ran, and the node its pod landed on).
	Cluster   string `json:"cluster,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Job       string `json:"job,omitempty"`
	Node      string `json:"node,omitempty"`
}

// Finished reports whether the run has ended.
func (r *Record) Finished() bool { return !r.FinishedAt.IsZero() }

// Finish sets the end time, the duration and the exit code.
func (r *Record) Finish(at time.Time, exitCode int) {
	r.FinishedAt = at
	r.DurationMS = at.Sub(r.StartedAt).Milliseconds()
	r.ExitCode = exitCode
}

// Duration is the run's length, or zero while it is going.
func (r *Record) Duration() time.Duration { return time.Duration(r.DurationMS) * time.Millisecond }

// Mask is what a secret value is replaced with.
const Mask = "***"

// IsSecretKey reports whether an environment variable name looks like it holds a secret: one of its
// "_"-separated words is TOKEN, SECRET, PASSWORD, PASSWD, KEY or CREDENTIALS (or their singular or
// plural), case-insensitively. Whole words only, so TOKENIZERS_PARALLELISM and KEYBOARD stay visible.
func IsSecretKey(key string) bool {
	for _, w := range strings.Split(strings.ToUpper(key), "_") {
		switch w {
		case "TOKEN", "TOKENS", "SECRET", "SECRETS", "PASSWORD", "PASSWORDS", "PASSWD",
			"KEY", "KEYS", "CREDENTIAL", "CREDENTIALS":
			return true
		}
	}
	return false
}

// MaskEnv turns KEY=VALUE entries into a map with secret values masked (IsSecretKey) and returns
// the sorted masked keys. A later entry wins over an earlier one, as in docker; an entry without
// "=" gets an empty value. Empty secrets stay empty: masking them would hide a likely cause of failure.
func MaskEnv(env []string) (map[string]string, []string) {
	out := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			continue
		}
		out[k] = v
	}
	var masked []string
	for k, v := range out {
		if v != "" && IsSecretKey(k) {
			out[k] = Mask
			masked = append(masked, k)
		}
	}
	slices.Sort(masked)
	return out, masked
}

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
