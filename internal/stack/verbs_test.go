package stack

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/enginefake"
)

const verbsStack = `
services:
  db:
    image: fixture
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 1s}
    volumes: ["data:/data"]
  api:
    image: fixture
    depends_on: {db: {condition: service_healthy}}
    scale: 2
  training:
    image: fixture
    profiles: [training]
    depends_on: {db: {condition: service_healthy}}
volumes:
  data: {}
`

func upVerbsStack(t *testing.T) *fakeStack {
	t.Helper()
	fs := newFakeStack(t, verbsStack)
	fs.eng.SetBehavior("db", enginefake.Behavior{Health: "healthy", Logs: []string{"db ready"}})
	if err := fs.Up(testCtx(t), UpOptions{Detach: true, Wait: true}); err != nil {
		t.Fatalf("up: %v\n%s", err, fs.out)
	}
	return fs
}

func TestPsStopStartRestartKillRm(t *testing.T) {
	fs := upVerbsStack(t)
	ctx := testCtx(t)
	views, err := fs.Views(ctx, PsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != 3 || views[0].Service != "api" || views[2].Health != "healthy" {
		t.Fatalf("ps: %+v", views)
	}
	var out bytes.Buffer
	for _, format := range []string{"table", "json"} {
		out.Reset()
		if err := fs.WritePs(&out, views, PsOptions{Format: format}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String()+fs.out.String(), "proj-db-1") {
			t.Errorf("ps --format %s lacks proj-db-1:\n%s", format, out.String())
		}
	}

	if err := fs.Stop(ctx, StopOptions{Services: []string{"api"}}); err != nil {
		t.Fatal(err)
	}
	if c, _ := fs.eng.Lookup("proj-api-2"); c.State != container.StateExited {
		t.Fatalf("api-2 after stop: %s", c.State)
	}
	if err := fs.Start(ctx, StartOptions{Services: []string{"api"}, Wait: true}); err != nil {
		t.Fatal(err)
	}
	if c, _ := fs.eng.Lookup("proj-api-2"); c.State != container.StateRunning {
		t.Fatalf("api-2 after start: %s", c.State)
	}
	if err := fs.Restart(ctx, RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := fs.Top(ctx, TopOptions{Services: []string{"db"}}); err != nil {
		t.Fatal(err)
	}
	if err := fs.Kill(ctx, KillOptions{Services: []string{"api"}}); err != nil {
		t.Fatal(err)
	}
	if err := fs.Rm(ctx, RmOptions{Services: []string{"api"}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := fs.eng.Lookup("proj-api-1"); ok {
		t.Fatal("rm left api-1")
	}
	if err := fs.Stop(ctx, StopOptions{Services: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("stop of an unknown service: %v", err)
	}
}

func TestLogsImagesLsDown(t *testing.T) {
	fs := upVerbsStack(t)
	ctx := testCtx(t)
	if err := fs.Logs(ctx, LogsOptions{Services: []string{"db"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fs.out.String(), "db ready") {
		t.Errorf("logs lack the db's line:\n%s", fs.out)
	}
	imgs, err := fs.Images(ctx, ImagesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := fs.WriteImages(&out, imgs, ImagesOptions{Format: "json"}); err != nil || len(imgs) == 0 {
		t.Fatalf("images: %v %+v", err, imgs)
	}
	projects, err := ListProjects(ctx, fs.eng, LsOptions{})
	if err != nil || len(projects) != 1 || projects[0].Name != "proj" {
		t.Fatalf("ls: %v %+v", err, projects)
	}
	out.Reset()
	if err := WriteProjects(&out, func([][]string) {}, projects, LsOptions{Format: "json"}); err != nil {
		t.Fatal(err)
	}

	if err := fs.Down(ctx, DownOptions{Volumes: true}); err != nil {
		t.Fatalf("down: %v", err)
	}
	if n := len(fs.eng.Containers()); n != 0 {
		t.Errorf("down left %d containers", n)
	}
	if nets, vols := fs.eng.NetworkNames(), fs.eng.VolumeNames(); len(nets)+len(vols) != 0 {
		t.Errorf("down -v left networks %v, volumes %v", nets, vols)
	}
}

func TestRunOneOffWaitsForItsDependenciesAndReturnsTheExitCode(t *testing.T) {
	fs := newFakeStack(t, verbsStack)
	fs.eng.SetBehavior("db", enginefake.Behavior{Health: "healthy"})
	fs.eng.SetBehavior("api", enginefake.Behavior{Exit: ptr(3), Logs: []string{"epoch 1"}})
	ctx := testCtx(t)
	// BeforeStart comes between the job's create and its start (train reads git's state there).
	var mu sync.Mutex
	var calls []string
	fs.eng.OnCall = func(name, target string) {
		mu.Lock()
		defer mu.Unlock()
		// The job's create names it; its start (by ID) is the first start after that.
		if name == "create" && strings.Contains(target, "-run-") || name == "start" && len(calls) > 0 {
			calls = append(calls, name)
		}
	}
	before := func() {
		mu.Lock()
		calls = append(calls, "before-start")
		mu.Unlock()
	}
	var started OneOffStarted
	code, err := fs.RunOneOff(ctx, OneOffOptions{Service: "api", Command: []string{"train"}, Env: []string{"A=1"}, BeforeStart: before, Started: func(s OneOffStarted) { started = s }})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if code != 3 || !strings.HasPrefix(started.Name, "proj-api-run-") {
		t.Fatalf("run: code %d, started %+v", code, started)
	}
	mu.Lock()
	if want := []string{"create", "before-start", "start"}; !slices.Equal(calls, want) {
		t.Errorf("the job's calls: %v, want %v", calls, want)
	}
	mu.Unlock()
	if db, ok := fs.eng.Lookup("proj-db-1"); !ok || db.State != container.StateRunning {
		t.Fatal("the dependency did not come up")
	}
	for _, c := range fs.eng.Containers() {
		if strings.Contains(c.Name, "-run-") {
			t.Errorf("one-off container %s left behind", c.Name)
		}
	}
}

func TestDependencyWaitOfAOneOffFailsWhenTheDependencyIsStoppedByHand(t *testing.T) {
	fs := newFakeStack(t, dbAndAPI)
	fs.eng.SetBehavior("db", enginefake.Behavior{ProbeExit: 1})
	whenRunning(t, fs, "proj-db-1", func(id string) { _ = fs.eng.ContainerStop(context.Background(), id, container.StopOptions{}) })
	_, err := fs.RunOneOff(testCtx(t), OneOffOptions{Service: "api"})
	// Stopped before the wait subscribed, the wait reads an exit (143) from the engine; after, it saw the stop.
	if err == nil || !(strings.Contains(err.Error(), `"db" was stopped`) || strings.Contains(err.Error(), `"db" exited with code 143`)) {
		t.Fatalf("want the dependency wait to fail naming db, got %v", err)
	}
}

func TestWaitConditionsSettlesOnARemovedDependency(t *testing.T) {
	fs := newFakeStack(t, dbAndAPI)
	fs.eng.SetBehavior("db", enginefake.Behavior{ProbeExit: 1})
	ctx := testCtx(t)
	if err := fs.Up(ctx, UpOptions{Detach: true, Services: []string{"db"}}); err != nil {
		t.Fatal(err)
	}
	// Removed after the wait listed it: the wait must learn it from the engine, not hang.
	fs.eng.AfterList = func() {
		fs.eng.AfterList = nil
		_ = fs.eng.ContainerRemove(context.Background(), "proj-db-1", container.RemoveOptions{Force: true})
	}
	err := fs.waitConditions(ctx, fs.Project.Services["api"], nil)
	if err == nil || !strings.Contains(err.Error(), `"db" was removed`) {
		t.Fatalf("got %v", err)
	}
}

func TestExecReturnsTheCommandsExitCode(t *testing.T) {
	fs := upVerbsStack(t)
	ctx := testCtx(t)
	fs.eng.SetBehavior("db", enginefake.Behavior{Health: "healthy", ProbeExit: 3})
	var out bytes.Buffer
	code, err := fs.Exec(ctx, ExecOptions{Service: "db", Command: []string{"false"}, Stdout: &out, Stderr: &out})
	if err != nil || code != 3 {
		t.Fatalf("exec db: code %d, err %v; want 3", code, err)
	}
	if code, err := fs.Exec(ctx, ExecOptions{Service: "api", Index: 2, Command: []string{"true"}, Stdout: &out, Stderr: &out}); err != nil || code != 0 {
		t.Fatalf("exec api 2: code %d, err %v; want 0", code, err)
	}
	if code, err := fs.Exec(ctx, ExecOptions{Service: "db", Command: []string{"sleep"}, Detach: true}); err != nil || code != 0 {
		t.Fatalf("exec -d db: code %d, err %v; want 0", code, err)
	}
	if err := fs.Stop(ctx, StopOptions{Services: []string{"db"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Exec(ctx, ExecOptions{Service: "db", Command: []string{"true"}, Stdout: &out, Stderr: &out}); err == nil || !strings.Contains(err.Error(), `service "db" is not running`) {
		t.Fatalf("exec in a stopped db: %v", err)
	}
}
