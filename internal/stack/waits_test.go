package stack

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/enginefake"
)

const dbAndAPI = `
services:
  db:
    image: fixture
    restart: always
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 1s}
  api:
    image: fixture
    depends_on: {db: {condition: service_healthy}}
`

// whenRunning runs fn once the named container runs on the fake engine, in the background.
func whenRunning(t *testing.T, fs *fakeStack, name string, fn func(id string)) {
	t.Helper()
	go func() {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if c, ok := fs.eng.Lookup(name); ok && c.State == container.StateRunning {
				fn(c.ID)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
}

func TestUpWaitFailsAtOnceWhenADependencyEndsByHand(t *testing.T) {
	ctx := context.Background()
	faults := map[string]func(fs *fakeStack, id string){
		"was stopped": func(fs *fakeStack, id string) { _ = fs.eng.ContainerStop(ctx, id, container.StopOptions{}) },
		"was killed":  func(fs *fakeStack, id string) { _ = fs.eng.ContainerKill(ctx, id, "9") },
		"was removed": func(fs *fakeStack, id string) {
			_ = fs.eng.ContainerRemove(ctx, id, container.RemoveOptions{Force: true})
		},
	}
	for want, fault := range faults {
		t.Run(want, func(t *testing.T) {
			fs := newFakeStack(t, dbAndAPI)
			// db never becomes healthy by itself: only the fault can end the wait.
			fs.eng.SetBehavior("db", enginefake.Behavior{ProbeExit: 1, Logs: []string{"db: listening"}})
			whenRunning(t, fs, "proj-db-1", func(id string) { fault(fs, id) })
			err := fs.Up(testCtx(t), UpOptions{Detach: true, Wait: true})
			if err == nil || !strings.Contains(err.Error(), `"db" `+want) {
				t.Fatalf("want an error naming db that %s, got %v", want, err)
			}
			if _, ok := fs.eng.Lookup("proj-api-1"); ok {
				t.Error("api was created although its dependency ended")
			}
		})
	}
}

func TestUpWaitFailsWhenAWaitedServiceIsStoppedAfterItsDependentsStarted(t *testing.T) {
	fs := newFakeStack(t, `
services:
  web:
    image: fixture
    restart: unless-stopped
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 1s}
`)
	fs.eng.SetBehavior("web", enginefake.Behavior{ProbeExit: 1})
	whenRunning(t, fs, "proj-web-1", func(id string) { _ = fs.eng.ContainerStop(context.Background(), id, container.StopOptions{}) })
	err := fs.Up(testCtx(t), UpOptions{Detach: true, Wait: true})
	if err == nil || !strings.Contains(err.Error(), `service "web" was stopped`) {
		t.Fatalf("got %v", err)
	}
}

func TestUpWaitRidesOutACrashThatTheEngineRestarts(t *testing.T) {
	fs := newFakeStack(t, dbAndAPI)
	fs.eng.SetBehavior("db", enginefake.Behavior{ProbeExit: 1})
	crashed := make(chan struct{})
	whenRunning(t, fs, "proj-db-1", func(id string) {
		_ = fs.eng.Crash(id, 1)
		close(crashed)
		whenRunning(t, fs, "proj-db-1", func(id string) { _ = fs.eng.SetHealth(id, "healthy") })
	})
	if err := fs.Up(testCtx(t), UpOptions{Detach: true, Wait: true}); err != nil {
		t.Fatalf("up --wait after a crash the engine restarted: %v", err)
	}
	<-crashed
	if db, _ := fs.eng.Lookup("proj-db-1"); db.Restarts != 1 {
		t.Fatalf("db restarts = %d", db.Restarts)
	}
}

func TestUpWaitOutcomes(t *testing.T) {
	cases := []struct {
		name     string
		behavior enginefake.Behavior
		restart  string
		want     string // "" for success
	}{
		{"healthy", enginefake.Behavior{Health: "healthy"}, "no", ""},
		{"unhealthy shows its logs", enginefake.Behavior{Health: "unhealthy", Logs: []string{"boom: no model file"}}, "no", `service "svc" is unhealthy`},
		{"exit non-zero", enginefake.Behavior{Exit: ptr(3), Logs: []string{"Traceback"}}, "no", `service "svc" exited with code 3`},
		{"one-shot exit 0", enginefake.Behavior{Exit: ptr(0)}, "no", ""},
		{"on-failure exhausts its retries", enginefake.Behavior{Exit: ptr(2)}, "on-failure:2", `service "svc" exited with code 2`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := newFakeStack(t, `
services:
  svc:
    image: fixture
    restart: "`+c.restart+`"
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 1s}
`)
			fs.eng.SetBehavior("svc", c.behavior)
			err := fs.Up(testCtx(t), UpOptions{Detach: true, Wait: true})
			if c.want == "" {
				if err != nil {
					t.Fatalf("up --wait: %v", err)
				}
				if !strings.Contains(fs.out.String(), "Service svc") {
					t.Errorf("no ready line:\n%s", fs.out)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want %q, got %v", c.want, err)
			}
			if len(c.behavior.Logs) > 0 && !strings.Contains(err.Error(), c.behavior.Logs[0]) {
				t.Errorf("the failure does not show the last log lines: %v", err)
			}
		})
	}
}

func TestUpWaitTimeoutNamesEveryServiceNotReady(t *testing.T) {
	fs := newFakeStack(t, dbAndAPI+`
  cache:
    image: fixture
`)
	fs.eng.SetBehavior("db", enginefake.Behavior{ProbeExit: 1})
	err := fs.Up(testCtx(t), UpOptions{Detach: true, Wait: true, WaitTimeout: 200 * time.Millisecond})
	if err == nil {
		t.Fatal("up --wait returned without db healthy")
	}
	for _, want := range []string{"timed out after 200ms", "db: running, health: starting", "api: not started (waiting for its dependencies)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("timeout message lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "cache:") {
		t.Errorf("a ready service is named as not ready:\n%v", err)
	}
}

// Without --wait, up still waits on depends_on conditions while it walks: that wait is bounded too.
func TestUpWithoutWaitBoundsItsDependencyWaits(t *testing.T) {
	fs := newFakeStack(t, dbAndAPI)
	fs.eng.SetBehavior("db", enginefake.Behavior{ProbeExit: 1})
	err := fs.Up(testCtx(t), UpOptions{Detach: true, WaitTimeout: 200 * time.Millisecond})
	if err == nil {
		t.Fatal("up returned without db healthy")
	}
	for _, want := range []string{"timed out after 200ms waiting for the dependencies to be ready", "db: running, health: starting", "api: not started (waiting for its dependencies)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("timeout message lacks %q:\n%v", want, err)
		}
	}
}

func TestEarlyProbeReleasesDependentsAndEngineHealthWaits(t *testing.T) {
	t.Run("early probe", func(t *testing.T) {
		fs := newFakeStack(t, dbAndAPI)
		// The engine still says "starting"; mlstack's own probe passes.
		fs.eng.SetBehavior("db", enginefake.Behavior{ProbeExit: 0})
		if err := fs.Up(testCtx(t), UpOptions{Detach: true}); err != nil {
			t.Fatalf("up: %v", err)
		}
		if api, ok := fs.eng.Lookup("proj-api-1"); !ok || api.State != container.StateRunning {
			t.Fatal("api did not start on db's passing early probe")
		}
	})
	t.Run("--wait-engine-health", func(t *testing.T) {
		fs := newFakeStack(t, dbAndAPI)
		fs.eng.SetBehavior("db", enginefake.Behavior{ProbeExit: 0})
		done := make(chan error, 1)
		go func() { done <- fs.Up(testCtx(t), UpOptions{Detach: true, EngineHealth: true}) }()
		whenRunning(t, fs, "proj-db-1", func(string) {})
		select {
		case err := <-done:
			t.Fatalf("up returned before db was healthy by the engine's status: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		if _, ok := fs.eng.Lookup("proj-api-1"); ok {
			t.Fatal("api was created before the engine said db is healthy")
		}
		db, _ := fs.eng.Lookup("proj-db-1")
		_ = fs.eng.SetHealth(db.ID, "healthy")
		if err := <-done; err != nil {
			t.Fatalf("up: %v", err)
		}
		if _, ok := fs.eng.Lookup("proj-api-1"); !ok {
			t.Fatal("api was not created once db was healthy")
		}
	})
	t.Run("a failing early probe releases nothing", func(t *testing.T) {
		fs := newFakeStack(t, dbAndAPI)
		fs.eng.SetBehavior("db", enginefake.Behavior{ProbeExit: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		err := fs.Up(ctx, UpOptions{Detach: true})
		if !errors.Is(err, ErrInterrupted) {
			t.Fatalf("want an interrupted up, got %v", err)
		}
		if _, ok := fs.eng.Lookup("proj-api-1"); ok {
			t.Fatal("api was created on a failing probe")
		}
	})
}

// A one-shot dependency that exits while up subscribes and lists (the list still says running) is
// seen as completed: the later event and re-read win over the older list.
func TestUpSeesAnInitJobThatExitedBetweenSubscribeAndList(t *testing.T) {
	fs := newFakeStack(t, `
services:
  init:
    image: fixture
  app:
    image: fixture
    depends_on: {init: {condition: service_completed_successfully}}
`)
	fs.eng.SetBehavior("init", enginefake.Behavior{Exit: ptr(0), ExitRuns: 1})
	ctx := testCtx(t)
	// A first up leaves init completed; then it is started again by hand, still running at the list.
	if err := fs.Up(ctx, UpOptions{Detach: true, Services: []string{"init"}}); err != nil {
		t.Fatal(err)
	}
	initC, _ := fs.eng.Lookup("proj-init-1")
	if err := fs.eng.ContainerStart(ctx, initC.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	fs.eng.AfterList = func() {
		fs.eng.AfterList = nil
		_ = fs.eng.Crash(initC.ID, 0)
		fs.eng.Drain(ctx)
	}
	if err := fs.Up(ctx, UpOptions{Detach: true, Wait: true}); err != nil {
		t.Fatalf("up --wait: %v", err)
	}
	if app, ok := fs.eng.Lookup("proj-app-1"); !ok || app.State != container.StateRunning {
		t.Fatal("app did not start after init completed")
	}
}

// `docker restart` is a stop and a start: a wait on the container rides it out.
func TestUpWaitRidesOutARestartByHand(t *testing.T) {
	fs := newFakeStack(t, dbAndAPI)
	fs.eng.SetBehavior("db", enginefake.Behavior{ProbeExit: 1})
	whenRunning(t, fs, "proj-db-1", func(id string) {
		_ = fs.eng.ContainerRestart(context.Background(), id, container.StopOptions{})
		_ = fs.eng.SetHealth(id, "healthy")
	})
	if err := fs.Up(testCtx(t), UpOptions{Detach: true, Wait: true}); err != nil {
		t.Fatalf("up --wait across a restart by hand: %v", err)
	}
}

func TestOneOffDependencyWaitTimesOutNamingTheDependency(t *testing.T) {
	cases := []struct {
		name, yaml, service string
		want                []string
	}{
		// The job's own depends_on condition never holds.
		{"the job's condition", dbAndAPI, "api", []string{`waiting for the dependencies of service "api" (--wait-timeout); not ready:`, "db: running, health: starting"}},
		// A dependency's own dependency never becomes healthy: the timeout ends the up of the dependencies.
		{"a dependency's dependency", dbAndAPI + `
  job:
    image: fixture
    depends_on: [api]
`, "job", []string{`waiting for the dependencies of service "job" (--wait-timeout); not ready:`, "db: running, health: starting", "api: not started (waiting for its dependencies)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := newFakeStack(t, c.yaml)
			fs.eng.SetBehavior("db", enginefake.Behavior{ProbeExit: 1})
			started := false
			_, err := fs.RunOneOff(testCtx(t), OneOffOptions{Service: c.service, WaitTimeout: 300 * time.Millisecond, Started: func(OneOffStarted) { started = true }})
			if err == nil {
				t.Fatal("the job ran although db never became healthy")
			}
			for _, want := range append(c.want, "timed out after 300ms") {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("timeout message lacks %q:\n%v", want, err)
				}
			}
			if started {
				t.Error("the job started")
			}
			for _, ct := range fs.eng.Containers() {
				if strings.Contains(ct.Name, "-run-") {
					t.Errorf("the job's container %s was created", ct.Name)
				}
			}
		})
	}
}
