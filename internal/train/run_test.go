package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlstack/mlstack/internal/enginefake"
	"github.com/mlstack/mlstack/internal/gpu"
	"github.com/mlstack/mlstack/internal/pipeline"
	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/runs"
	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/testenv"
	"github.com/mlstack/mlstack/internal/ui"
)

// TestMain keeps the project locks of these tests out of the user's runtime directory.
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var _ Engine = (*enginefake.Engine)(nil)

// brokenPipe is a stdout whose reader went away (`mlstack train | head` after head exited).
type brokenPipe struct{}

func (brokenPipe) Write([]byte) (int, error) { return 0, syscall.EPIPE }

const jobYAML = `
services:
  db:
    image: base
    healthcheck:
      test: ["CMD", "true"]
  training:
    build: ./app
    depends_on:
      db:
        condition: service_healthy
`

// fakeTraining writes a project whose training service builds FROM base and waits on a healthy db,
// on a fake engine whose db turns healthy and whose job prints a metric and exits with code.
func fakeTraining(t *testing.T, code int) (string, *enginefake.Engine) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the GPU detection cache
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{
		"compose.yaml":      jobYAML,
		"app/Dockerfile":    "FROM base\nCOPY train.py /\n",
		"app/train.py":      "print('MLSTACK_METRIC loss=0.5')\n",
		"app/.dockerignore": "",
	})
	eng := enginefake.New()
	eng.AddImage("base")
	eng.SetBehavior("db", enginefake.Behavior{Health: "healthy", ProbeExit: 0})
	eng.SetBehavior("training", enginefake.Behavior{Exit: &code, Logs: []string{"epoch 1", `MLSTACK_METRIC {"loss": 0.5}`}})
	return dir, eng
}

// trainCmd is one `mlstack train` on the fake engine: Target, NewEnv and Run, as the command wires them.
type trainCmd struct {
	out, errw *testenv.SyncBuffer
	stdout    interface{ Write([]byte) (int, error) }
	builds    int
	mu        sync.Mutex
}

func (c *trainCmd) run(t *testing.T, dir string, eng *enginefake.Engine, o Options) (int, error) {
	t.Helper()
	c.out, c.errw = &testenv.SyncBuffer{}, &testenv.SyncBuffer{}
	eng.OnCall = func(call, _ string) {
		if call == "build" {
			c.mu.Lock()
			c.builds++
			c.mu.Unlock()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	load := func(ctx context.Context, services ...string) (*project.Project, error) {
		return project.Load(ctx, project.Options{Name: "proj", WorkingDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}, Services: services})
	}
	p, err := Target(ctx, load, &o)
	if err != nil {
		return 0, err
	}
	var stdout interface{ Write([]byte) (int, error) } = c.out
	if c.stdout != nil {
		stdout = c.stdout
	}
	u := ui.Test(nil, stdout, c.errw)
	e, err := NewEnv(&stack.Stack{API: eng, Project: p, UI: u}, eng, o.Images, "test")
	if err != nil {
		return 0, err
	}
	return Run(ctx, e, o)
}

func onlyRecord(t *testing.T, dir string) runs.Record {
	t.Helper()
	recs, err := (runs.Store{Dir: filepath.Join(dir, ".mlstack", "runs")}).List(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("%d run records, want 1", len(recs))
	}
	return recs[0]
}

func TestRunRecordsTheRunFromStartToExitCode(t *testing.T) {
	dir, eng := fakeTraining(t, 3)
	c := &trainCmd{}
	code, err := c.run(t, dir, eng, Options{Job: stack.OneOffOptions{Env: []string{"PGPASSWORD=hunter2", "EPOCHS=3"}}})
	if err != nil || code != 3 {
		t.Fatalf("Run = %d, %v; want the job's exit code 3", code, err)
	}
	if c.builds != 1 {
		t.Errorf("%d builds of the training image, want 1", c.builds)
	}
	rec := onlyRecord(t, dir)
	if rec.Running() || rec.ExitCode != 3 || rec.FinishedAt.IsZero() {
		t.Errorf("record not finished with exit code 3: %+v", rec)
	}
	built, err := eng.ImageInspect(context.Background(), "proj-training")
	if err != nil {
		t.Fatal(err)
	}
	if rec.ImageID != built.ID || !slices.Contains(rec.ImageTags, "proj-training") {
		t.Errorf("record's image %s %v, want the built %s", rec.ImageID, rec.ImageTags, built.ID)
	}
	if rec.Env["PGPASSWORD"] != runs.Mask || !slices.Contains(rec.Masked, "PGPASSWORD") || rec.Env["EPOCHS"] != "3" {
		t.Errorf("record's environment: %v (masked %v); want PGPASSWORD masked and EPOCHS kept", rec.Env, rec.Masked)
	}
	if rec.Metrics["loss"] != 0.5 {
		t.Errorf("record's metrics: %v, want loss 0.5", rec.Metrics)
	}
	if rec.MlstackVersion != "test" || rec.Service != "training" || rec.ContainerName == "" {
		t.Errorf("record: version %q service %q container %q", rec.MlstackVersion, rec.Service, rec.ContainerName)
	}
	logData, err := os.ReadFile(filepath.Join(dir, rec.LogFile))
	if err != nil || !strings.Contains(string(logData), "epoch 1") {
		t.Errorf("run log: %q, %v", logData, err)
	}
	if !strings.Contains(c.errw.String()+c.out.String(), "Run "+rec.ID+": exit code 3") {
		t.Errorf("no closing line naming the run:\n%s%s", c.out, c.errw)
	}
	if len(eng.Containers()) != 1 {
		t.Errorf("containers left: %d, want only db's", len(eng.Containers()))
	}
}

func TestReplayNeverBuildsAndRestoresMaskedValues(t *testing.T) {
	dir, eng := fakeTraining(t, 0)
	t.Setenv("PGPASSWORD", "")
	first := &trainCmd{}
	if _, err := first.run(t, dir, eng, Options{Job: stack.OneOffOptions{Env: []string{"PGPASSWORD=hunter2", "EPOCHS=3"}}}); err != nil {
		t.Fatal(err)
	}
	orig := onlyRecord(t, dir)
	// The inputs change: a replay runs the recorded image all the same, and builds nothing.
	if err := os.WriteFile(filepath.Join(dir, "app", "train.py"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	os.Unsetenv("PGPASSWORD")
	refused := &trainCmd{}
	_, err := refused.run(t, dir, eng, Options{Replay: "latest"})
	if err == nil || !strings.Contains(err.Error(), "PGPASSWORD masked in the run's record and not set now") {
		t.Fatalf("replay without the secret: %v; want a refusal naming PGPASSWORD", err)
	}
	if refused.builds != 0 {
		t.Errorf("a refused replay built %d times", refused.builds)
	}

	t.Setenv("PGPASSWORD", "hunter2")
	again := &trainCmd{}
	if _, err := again.run(t, dir, eng, Options{Replay: orig.ID[:8]}); err != nil {
		t.Fatal(err)
	}
	if again.builds != 0 {
		t.Errorf("replay built %d times, want never", again.builds)
	}
	recs, err := (runs.Store{Dir: filepath.Join(dir, ".mlstack", "runs")}).List(0)
	if err != nil || len(recs) != 2 {
		t.Fatalf("%d records, %v; want 2", len(recs), err)
	}
	replayed := recs[0]
	if replayed.ID == orig.ID {
		replayed = recs[1]
	}
	if replayed.ImageID != orig.ImageID || replayed.Env["EPOCHS"] != "3" || replayed.Env["PGPASSWORD"] != runs.Mask {
		t.Errorf("replayed record: image %s env %v; want image %s, EPOCHS=3, PGPASSWORD masked", replayed.ImageID, replayed.Env, orig.ImageID)
	}
	if !strings.Contains(again.errw.String(), "masked values of PGPASSWORD taken from the current environment") {
		t.Errorf("no notice about the restored secret:\n%s", again.errw)
	}
}

func TestRunGoesOnWhenStdoutCloses(t *testing.T) {
	dir, eng := fakeTraining(t, 0)
	c := &trainCmd{stdout: brokenPipe{}}
	code, err := c.run(t, dir, eng, Options{})
	if err != nil || code != 0 {
		t.Fatalf("Run with a closed stdout = %d, %v; want the job's 0", code, err)
	}
	rec := onlyRecord(t, dir)
	if rec.Running() || rec.ExitCode != 0 {
		t.Errorf("record did not complete: %+v", rec)
	}
	if n := strings.Count(c.errw.String(), "stdout closed"); n != 1 {
		t.Errorf("%d notices about the closed stdout, want 1:\n%s", n, c.errw)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, rec.LogFile)); !strings.Contains(string(data), "epoch 1") {
		t.Errorf("run log lost the output: %q", data)
	}
}

func TestRunWaitsForDependenciesWithinItsTimeout(t *testing.T) {
	dir, eng := fakeTraining(t, 0)
	eng.SetBehavior("db", enginefake.Behavior{ProbeExit: 1}) // never healthy
	c := &trainCmd{}
	_, err := c.run(t, dir, eng, Options{Job: stack.OneOffOptions{WaitTimeout: 500 * time.Millisecond}})
	if err == nil || !strings.Contains(err.Error(), "db") {
		t.Fatalf("Run with a db that never turns healthy: %v; want an error naming db", err)
	}
	if recs, _ := (runs.Store{Dir: filepath.Join(dir, ".mlstack", "runs")}).List(0); len(recs) != 0 {
		t.Errorf("a job that never started left %d records", len(recs))
	}
	logs, _ := filepath.Glob(filepath.Join(dir, ".mlstack", "runs", "*.log"))
	if len(logs) != 0 {
		t.Errorf("a job that never started left logs: %v", logs)
	}
	for _, ct := range eng.Containers() {
		if strings.Contains(ct.Name, "training") {
			t.Errorf("the job's container %s was created past the deadline", ct.Name)
		}
	}
}

// A GPU the engine's runtime promised but the start refused: under auto the job runs on CPU with
// one notice, and its record says so.
func TestRunFallsBackToCPUWhenTheStartRefusesAGPU(t *testing.T) {
	dir, eng := fakeTraining(t, 0)
	eng.Runtimes = []string{"nvidia"}
	c := &trainCmd{}
	code, err := c.run(t, dir, eng, Options{})
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	if n := strings.Count(c.errw.String()+c.out.String(), "no GPU on this engine"); n != 1 {
		t.Errorf("%d notices of the CPU fallback, want 1:\n%s%s", n, c.out, c.errw)
	}
	rec := onlyRecord(t, dir)
	if rec.GPUsGranted != "none" || rec.GPUsRequested != "auto" {
		t.Errorf("record's GPUs: requested %q granted %q; want auto and none", rec.GPUsRequested, rec.GPUsGranted)
	}

	all, _ := gpu.ParseFlag("all")
	_, err = (&trainCmd{}).run(t, dir, eng, Options{Images: pipeline.Options{GPUs: all}})
	if !errors.Is(err, gpu.ErrNoGPU) || strings.Contains(err.Error(), "use --gpus all") {
		t.Errorf("--gpus all after the refusal: %v; want the no-GPU error without suggesting --gpus all", err)
	}
}

func TestTargetRefusesAReplayOfAnotherService(t *testing.T) {
	dir, eng := fakeTraining(t, 0)
	if _, err := (&trainCmd{}).run(t, dir, eng, Options{}); err != nil {
		t.Fatal(err)
	}
	_, err := (&trainCmd{}).run(t, dir, eng, Options{Replay: "latest", Job: stack.OneOffOptions{Service: "db"}})
	if err == nil || !strings.Contains(err.Error(), `was of service "training", not "db"`) {
		t.Errorf("replay of training as db: %v", err)
	}
}
