package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/runs"
	"github.com/mlstack/mlstack/internal/testenv"
)

const trainCompose = `
services:
  db:
    image: ${FIXTURE}
    command: ["serve"]
    environment:
      FIXTURE_HEALTHY_AFTER: 1s
    healthcheck:
      test: ["CMD", "/fixture", "probe"]
      interval: 500ms
  mlflow:
    image: ${FIXTURE}
    command: ["serve", "--addr", ":5000"]
    expose: ["5000"]
  training:
    image: ${FIXTURE}
    profiles: [training]
    command: ["train", "--epochs", "3", "--steps", "3", "--interval", "150ms"]
    environment:
      WANDB_API_KEY: s3cret
    depends_on:
      db: {condition: service_healthy}
`

// oneOffs counts the project's one-off containers, in any state.
func oneOffs(t *testing.T, p *testenv.Project) int {
	t.Helper()
	cs, err := p.Eng.ContainerList(context.Background(), container.ListOptions{All: true, Filters: filters.NewArgs(
		filters.Arg("label", labels.ProjectFilter(p.Name)), filters.Arg("label", labels.OneOff+"=True"))})
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

func gitInit(t *testing.T, dir string) string {
	t.Helper()
	for _, args := range [][]string{
		{"init", "-q"}, {"add", "-A"},
		{"-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "init"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func listRuns(t *testing.T, p *testenv.Project) []runs.Record {
	t.Helper()
	r := p.MustRun("runs", "--format", "json")
	var recs []runs.Record
	if err := json.Unmarshal([]byte(r.Stdout), &recs); err != nil {
		t.Fatalf("runs --format json: %v\n%s", err, r.Stdout)
	}
	return recs
}

func TestTrainStreamsWaitsForHealthRecordsAndReplays(t *testing.T) {
	p := testenv.NewProject(t, trainCompose)
	head := gitInit(t, p.Dir)

	// Output streams: a line of the job shows while mlstack still runs.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := p.Command(ctx, nil, "train")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	var sawAt time.Time
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		all.WriteString(sc.Text() + "\n")
		if sawAt.IsZero() && strings.Contains(sc.Text(), "epoch 1/3") {
			sawAt = time.Now()
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("train: %v\nstdout:\n%s\nstderr:\n%s", err, all.String(), stderr.String())
	}
	// Two more epochs (about a second) follow the first: streamed output arrives well before the end.
	if sawAt.IsZero() || time.Since(sawAt) < 500*time.Millisecond {
		t.Errorf("job output did not stream before the job ended; stdout:\n%s", all.String())
	}
	if !strings.Contains(all.String(), "MLFLOW_TRACKING_URI=http://mlflow:5000") {
		t.Errorf("job did not get the MLflow address; stdout:\n%s", all.String())
	}
	if !strings.Contains(stderr.String(), "MLFLOW_TRACKING_URI") {
		t.Errorf("MLflow wiring not announced; stderr:\n%s", stderr.String())
	}

	r := p.Run("train", "-e", "TRAIN_EXIT=3")
	if r.Code != 3 {
		t.Fatalf("train with TRAIN_EXIT=3: exit %d, want 3\n%s", r.Code, r.Stderr)
	}
	if n := oneOffs(t, p); n != 0 {
		t.Errorf("%d one-off container(s) left behind", n)
	}

	recs := listRuns(t, p)
	if len(recs) != 2 {
		t.Fatalf("want 2 runs, got %d", len(recs))
	}
	if recs[0].ExitCode != 3 || recs[1].ExitCode != 0 {
		t.Errorf("exit codes newest first = %d, %d; want 3, 0", recs[0].ExitCode, recs[1].ExitCode)
	}
	for _, rec := range recs {
		if !strings.HasPrefix(rec.ImageID, "sha256:") || rec.GitCommit != head || rec.Service != "training" {
			t.Errorf("record %s: image %q commit %q service %q; want sha256:…, %s, training", rec.ID, rec.ImageID, rec.GitCommit, rec.Service, head)
		}
		if rec.Env["WANDB_API_KEY"] != runs.Mask {
			t.Errorf("record %s: secret not masked: %q", rec.ID, rec.Env["WANDB_API_KEY"])
		}
		if rec.FinishedAt.IsZero() || rec.DurationMS <= 0 || rec.ConfigHash == "" || rec.MlstackVersion == "" {
			t.Errorf("record %s incomplete: %+v", rec.ID, rec)
		}
	}

	// The dependency was healthy (its /health answers ok one second after start) before the job began.
	db := p.Inspect("db")
	dbStart, _ := time.Parse(time.RFC3339Nano, db.State.StartedAt)
	if first := recs[1].StartedAt; first.Before(dbStart.Add(time.Second)) {
		t.Errorf("job started at %s, before db could be healthy (started %s, healthy after 1s)", first, dbStart)
	}

	show := p.MustRun("runs", "show", recs[0].ID)
	if !strings.Contains(show.Stdout, "training done, exit 3") {
		t.Errorf("runs show lacks the log tail:\n%s", show.Stdout)
	}
	diff := p.MustRun("runs", "diff", recs[1].ID, recs[0].ID)
	if !strings.Contains(diff.Stdout, "exit_code") || !strings.Contains(diff.Stdout, "env.TRAIN_EXIT") {
		t.Errorf("runs diff misses exit code or env:\n%s", diff.Stdout)
	}

	rp := p.RunEnv([]string{"WANDB_API_KEY=fromenv"}, "train", "--replay", recs[1].ID)
	if rp.Code != 0 || !strings.Contains(rp.Stderr, "WANDB_API_KEY") {
		t.Fatalf("replay: exit %d\n%s", rp.Code, rp.Stderr)
	}
	recs = listRuns(t, p)
	if len(recs) != 3 || recs[0].ImageID != recs[2].ImageID || strings.Join(recs[0].Command, " ") != strings.Join(recs[2].Command, " ") {
		t.Errorf("replay did not reuse image and command: %+v", recs[0])
	}
	if bad := p.Run("train", "--replay", "nope"); bad.Code == 0 || !strings.Contains(bad.Stderr, "unknown run") {
		t.Errorf("replay of an unknown run: exit %d, stderr %q", bad.Code, bad.Stderr)
	}

	p.MustRun("runs", "prune", "--keep", "1")
	if recs = listRuns(t, p); len(recs) != 1 {
		t.Errorf("after prune --keep 1: %d runs", len(recs))
	}
}

func TestTrainGPUPolicy(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  trainer:
    image: ${FIXTURE}
    profiles: [training]
    command: ["train", "--epochs", "1", "--steps", "2", "--interval", "10ms"]
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: 1
              capabilities: [gpu]
`)
	// A fresh cache: the engine itself must be asked.
	env := []string{"XDG_CACHE_HOME=" + t.TempDir()}
	if engineHasGPU(t, p) {
		if r := p.RunEnv(env, "train", "--gpus", "all"); r.Code != 0 || strings.Contains(r.Stderr, "on CPU") {
			t.Errorf("--gpus all on an engine with a GPU: exit %d, stderr:\n%s", r.Code, r.Stderr)
		}
		if recs := listRuns(t, p); len(recs) != 1 || recs[0].GPUsGranted == "none" {
			t.Errorf("record GPUs on an engine with a GPU: %+v", recs)
		}
		return
	}
	all := p.RunEnv(env, "train", "--gpus", "all")
	if all.Code == 0 || !strings.Contains(all.Stderr, "GPU") || !strings.Contains(all.Stderr, "nvidia-container-toolkit") {
		t.Errorf("--gpus all without GPU: exit %d, stderr:\n%s", all.Code, all.Stderr)
	}
	if n, _, _ := testenv.Counts(t, p.Eng, p.Name); n != 0 {
		t.Errorf("--gpus all left %d container(s)", n)
	}
	auto := p.RunEnv(env, "train")
	if auto.Code != 0 || !strings.Contains(auto.Stderr, "on CPU") {
		t.Fatalf("--gpus auto: exit %d, stderr:\n%s", auto.Code, auto.Stderr)
	}
	recs := listRuns(t, p)
	if len(recs) != 1 || recs[0].GPUsRequested != "1" || recs[0].GPUsGranted != "none" {
		t.Errorf("record GPUs: %+v", recs)
	}
	// The same policy serves up.
	up := p.RunEnv(env, "--profile", "training", "up", "-d", "trainer")
	if up.Code != 0 || !strings.Contains(up.Stderr, "on CPU") {
		t.Errorf("up with a GPU reservation: exit %d, stderr:\n%s", up.Code, up.Stderr)
	}
	if strict := p.RunEnv(append(env, "MLSTACK_GPUS=all"), "--profile", "training", "up", "-d", "--force-recreate", "trainer"); strict.Code == 0 {
		t.Errorf("MLSTACK_GPUS=all up succeeded without GPU")
	}
}

func TestTrainCtrlCReachesTheJob(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  training:
    image: ${FIXTURE}
    command: ["train", "--epochs", "100", "--interval", "100ms"]
`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := p.Command(ctx, nil, "train")
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(stdout)
	if _, err := br.ReadString('\r'); err != nil {
		t.Fatalf("no progress before interrupt: %v; stderr:\n%s", err, stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(br)
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 130 || !strings.Contains(string(rest), "training interrupted") {
		t.Errorf("exit %d (want 130); output after SIGINT:\n%s\nstderr:\n%s", code, rest, stderr.String())
	}
	if n := oneOffs(t, p); n != 0 {
		t.Errorf("%d one-off container(s) left after Ctrl-C", n)
	}
}
