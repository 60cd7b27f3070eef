package runs

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMaskEnv(t *testing.T) {
	env, masked := MaskEnv([]string{
		"HF_TOKEN=hf_abc",
		"WANDB_API_KEY=0123",
		"AWS_SECRET_ACCESS_KEY=xyz",
		"MLFLOW_TRACKING_PASSWORD=pw",
		"DB_PASSWD=pw",
		"GOOGLE_APPLICATION_CREDENTIALS=/run/secrets/gcp.json",
		"secret=lower-case",
		"TOKENIZERS_PARALLELISM=false",
		"KEYBOARD=us",
		"MONKEY_PATCH=1",
		"PRIMARY_KEYSPACE=ml",
		"EPOCHS=10",
		"EMPTY_TOKEN=",
		"NO_VALUE",
		"LR=0.1",
		"LR=0.01",
	})
	want := map[string]string{
		"HF_TOKEN":                       "***",
		"WANDB_API_KEY":                  "***",
		"AWS_SECRET_ACCESS_KEY":          "***",
		"MLFLOW_TRACKING_PASSWORD":       "***",
		"DB_PASSWD":                      "***",
		"GOOGLE_APPLICATION_CREDENTIALS": "***",
		"secret":                         "***",
		"TOKENIZERS_PARALLELISM":         "false",
		"KEYBOARD":                       "us",
		"MONKEY_PATCH":                   "1",
		"PRIMARY_KEYSPACE":               "ml",
		"EPOCHS":                         "10",
		"EMPTY_TOKEN":                    "",
		"NO_VALUE":                       "",
		"LR":                             "0.01",
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("MaskEnv env\n got %v\nwant %v", env, want)
	}
	wantMasked := []string{"AWS_SECRET_ACCESS_KEY", "DB_PASSWD", "GOOGLE_APPLICATION_CREDENTIALS", "HF_TOKEN", "MLFLOW_TRACKING_PASSWORD", "WANDB_API_KEY", "secret"}
	if !slices.Equal(masked, wantMasked) {
		t.Errorf("masked = %v, want %v", masked, wantMasked)
	}
}

func TestRecordJSONFieldNames(t *testing.T) {
	dirty := false
	start := time.Date(2026, 11, 23, 15, 30, 12, 123456789, time.UTC)
	r := Record{ID: "20261123-153012-ab12cd", StartedAt: start, GitDirty: &dirty, Command: []string{"train"},
		ImageTags: []string{"proj-training:latest"}, Env: map[string]string{"API_KEY": "***"}, Masked: []string{"API_KEY"}}
	r.Finish(start.Add(90*time.Second), 3)
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "service", "command", "started_at", "finished_at", "duration_ms", "exit_code",
		"image_id", "image_tags", "git_commit", "git_dirty", "config_hash", "env", "gpus_requested", "gpus_granted",
		"host", "mlstack_version", "project", "container_name", "masked", "log_file"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if len(fields) != 21 {
		t.Errorf("JSON has %d fields, want 21: %v", len(fields), fields)
	}
	if fields["started_at"] != "2026-11-23T15:30:12.123456789Z" || fields["duration_ms"] != 90000.0 {
		t.Errorf("started_at/duration_ms = %v/%v", fields["started_at"], fields["duration_ms"])
	}

	// Fields without a value are left out, never null.
	if data, _ := json.Marshal(Record{ID: "x"}); strings.Contains(string(data), "null") {
		t.Errorf("an empty record has null fields: %s", data)
	}

	running := Record{ID: "x", StartedAt: start}
	data, _ = json.Marshal(running)
	fields = nil
	_ = json.Unmarshal(data, &fields)
	for _, k := range []string{"git_dirty", "finished_at"} {
		if _, ok := fields[k]; ok {
			t.Errorf("a running run outside git should omit %q", k)
		}
	}
}

func TestGitState(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	ctx := context.Background()
	outside := t.TempDir()
	if _, _, ok := GitState(ctx, outside); ok {
		t.Fatalf("GitState outside a repository: ok = true")
	}

	repo := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run("init", "-q")
	if _, _, ok := GitState(ctx, repo); ok {
		t.Error("GitState in a repository without commits: ok = true")
	}
	write("train.py", "print(1)\n")
	run("add", "train.py")
	run("commit", "-q", "-m", "first")

	steps := []struct {
		name      string
		change    func()
		wantDirty bool
	}{
		{"clean", func() {}, false},
		{"run records do not count", func() { write(".mlstack/runs/x.json", "{}") }, false},
		{"nested .mlstack does not count", func() { write("sub/.mlstack/cache/gpu.json", "{}") }, false},
		{"edited file", func() { write("train.py", "print(2)\n") }, true},
	}
	for _, st := range steps {
		st.change()
		commit, dirty, ok := GitState(ctx, repo)
		if !ok || len(commit) != 40 || dirty != st.wantDirty {
			t.Errorf("%s: GitState = %q, dirty=%v, ok=%v; want a commit, dirty=%v", st.name, commit, dirty, ok, st.wantDirty)
		}
	}
}

func TestReconcile(t *testing.T) {
	start := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	end := start.Add(90 * time.Second)
	tests := []struct {
		name     string
		finished bool
		c        Container
		changed  bool
		want     string // exit label after
	}{
		{"exited container gives its code and end", false, Container{Exists: true, ExitCode: 3, FinishedAt: end}, true, "3"},
		{"vanished container: lost", false, Container{}, true, "lost"},
		{"still running", false, Container{Exists: true, Running: true}, false, "running"},
		{"already finished: untouched", true, Container{}, false, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Record{StartedAt: start}
			if tt.finished {
				r.Finish(start.Add(time.Second), 0)
			}
			if got := r.Reconcile(tt.c); got != tt.changed {
				t.Errorf("Reconcile changed = %v, want %v", got, tt.changed)
			}
			if got := exitLabel(r); got != tt.want {
				t.Errorf("exit = %s, want %s", got, tt.want)
			}
			if tt.want == "3" && (r.Duration() != 90*time.Second || !r.FinishedAt.Equal(end)) {
				t.Errorf("duration %s, finished %s; want 1m30s at the container's end", r.Duration(), r.FinishedAt)
			}
		})
	}
}

func TestOwnerAlive(t *testing.T) {
	if !(&Record{Owner: OwnerHere()}).OwnerAlive() {
		t.Error("this process does not count as alive")
	}
	host, _ := os.Hostname()
	for _, owner := range []string{"", "elsewhere:1", host + ":0", host + ":notanumber", host + ":999999999"} {
		if (&Record{Owner: owner}).OwnerAlive() {
			t.Errorf("owner %q counts as alive", owner)
		}
	}
}
