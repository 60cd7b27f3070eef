package watch

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/events"

	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/syncd"
	"github.com/mlstack/mlstack/internal/ui"
)

func TestNewSessionRefusesRulesItCannotFollow(t *testing.T) {
	dir := tree(t)
	plain := types.ServiceConfig{Name: "db"}
	for _, tc := range []struct {
		name     string
		services []types.ServiceConfig
		only     []string
		want     string
	}{
		{name: "no rules anywhere", services: []types.ServiceConfig{plain}, want: "no service has develop.watch rules"},
		{name: "named service without rules", services: []types.ServiceConfig{plain, watched("api", types.Trigger{Path: dir, Action: "sync", Target: "/app"})}, only: []string{"db"}, want: `service "db" has no develop.watch rules`},
		{name: "unknown service", services: []types.ServiceConfig{plain}, only: []string{"nope"}, want: `no such service "nope"`},
		{name: "sync without target", services: []types.ServiceConfig{watched("api", types.Trigger{Path: dir, Action: "sync"})}, want: "needs a target"},
		{name: "rebuild without build", services: []types.ServiceConfig{watched("api", types.Trigger{Path: dir, Action: "rebuild"})}, want: "has no build section"},
		{name: "unknown action", services: []types.ServiceConfig{watched("api", types.Trigger{Path: dir, Action: "teleport", Target: "/app"})}, want: `unknown action "teleport"`},
		{name: "sync+exec without command", services: []types.ServiceConfig{watched("api", types.Trigger{Path: dir, Action: "sync+exec", Target: "/app"})}, want: "without exec.command"},
		{name: "relative target", services: []types.ServiceConfig{watched("api", types.Trigger{Path: dir, Action: "sync", Target: "app"})}, want: "not an absolute container path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &project.Project{Project: &types.Project{Name: "demo", Services: types.Services{}}, All: types.Services{}}
			for _, s := range tc.services {
				p.Services[s.Name], p.All[s.Name] = s, s
			}
			_, err := newSession(p, SessionOptions{Services: tc.only}, &reporter{ui: ui.Test(nil, os.Stdout, os.Stderr)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // the helper's temporary file, renamed meanwhile
		}
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// syncService is a service whose ./src (host) syncs to a "container" directory on this host.
func syncService(t *testing.T, action types.WatchAction, cmd ...string) (svc types.ServiceConfig, host, ctr string) {
	host, ctr = tree(t), tree(t)
	trig := types.Trigger{Path: host, Action: action, Target: ctr, Ignore: []string{"data/"}}
	if len(cmd) > 0 {
		trig.Exec = types.ServiceHook{Command: cmd}
	}
	return watched("api", trig), host, ctr
}

func TestInitialSyncBringsAContainerUpToDate(t *testing.T) {
	for _, prune := range []bool{false, true} {
		t.Run(map[bool]string{false: "keep extras", true: "prune"}[prune], func(t *testing.T) {
			svc, host, ctr := syncService(t, types.WatchActionSync)
			writeFile(t, filepath.Join(host, "train.py"), "new")
			writeFile(t, filepath.Join(host, "pkg/model.py"), "model")
			writeFile(t, filepath.Join(host, "data/huge.bin"), "never synced")
			writeFile(t, filepath.Join(ctr, "train.py"), "old")
			writeFile(t, filepath.Join(ctr, "stale.py"), "stale")
			writeFile(t, filepath.Join(ctr, "data/cache.bin"), "kept: ignored")
			act := newFakeActions(t, runningContainer{id: "c1", name: "demo-api-1", service: "api"})
			s, out, _ := testSession(t, SessionOptions{Prune: prune}, act, svc)
			if err := s.findRunning(context.Background()); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"train.py": "new", "pkg/model.py": "model", "stale.py": "stale", "data/cache.bin": "kept: ignored"}
			if prune {
				delete(want, "stale.py")
			}
			if got := readTree(t, ctr); !reflect.DeepEqual(got, want) {
				t.Errorf("container tree = %v, want %v", got, want)
			}
			if !strings.Contains(out.String(), "(initial sync)") {
				t.Errorf("output %q does not report the initial sync", out)
			}
			// A second container of the same content is already up to date.
			act.running = []runningContainer{{id: "c2", name: "demo-api-2", service: "api"}}
			out.Reset()
			s.services["api"].ctrs = map[string]*target{}
			if err := s.findRunning(context.Background()); err != nil {
				t.Fatal(err)
			}
			if prune && !strings.Contains(out.String(), "up to date") {
				t.Errorf("second sync printed %q, want up to date", out)
			}
		})
	}
}

func TestNoInitialSyncAndQuiet(t *testing.T) {
	svc, host, ctr := syncService(t, types.WatchActionSync)
	writeFile(t, filepath.Join(host, "train.py"), "new")
	act := newFakeActions(t, runningContainer{id: "c1", name: "demo-api-1", service: "api"})
	s, out, errOut := testSession(t, SessionOptions{NoInitialSync: true, Quiet: true}, act, svc)
	if err := s.findRunning(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, ctr); len(got) != 0 {
		t.Errorf("--no-initial-sync copied %v", got)
	}
	if out.Len() != 0 || errOut.Len() != 0 {
		t.Errorf("--quiet printed %q / %q", out, errOut)
	}
}

func TestNoRunningContainerIsWarned(t *testing.T) {
	svc, _, _ := syncService(t, types.WatchActionSync)
	s, _, errOut := testSession(t, SessionOptions{}, newFakeActions(t), svc)
	if err := s.findRunning(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), `service "api" has no running container yet`) {
		t.Errorf("warning missing: %q", errOut)
	}
}

func TestFirstConnectionFailureIsFatal(t *testing.T) {
	svc, _, _ := syncService(t, types.WatchActionSync)
	act := newFakeActions(t, runningContainer{id: "c1", name: "demo-api-1", service: "api"})
	act.connectErr = os.ErrPermission
	s, _, _ := testSession(t, SessionOptions{}, act, svc)
	err := s.findRunning(context.Background())
	if err == nil || !strings.Contains(err.Error(), `service "api": container demo-api-1`) {
		t.Fatalf("err = %v, want it to name the service and container", err)
	}
}

// connected returns a session with one running container of svc, initial sync done.
func connected(t *testing.T, o SessionOptions, svc types.ServiceConfig, act *fakeActions) *session {
	t.Helper()
	s, _, _ := testSession(t, o, act, svc)
	if err := s.findRunning(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.closeAll)
	return s
}

func flushOf(s *session, service string, changes ...Change) Flush {
	var f Flush
	for _, r := range s.services[service].rules {
		f.Groups = append(f.Groups, Group{Rule: r, Changes: changes})
	}
	return f
}

func TestApplySyncsWritesAndRemoves(t *testing.T) {
	svc, host, ctr := syncService(t, types.WatchActionSync)
	writeFile(t, filepath.Join(host, "gone.py"), "x")
	act := newFakeActions(t, runningContainer{id: "c1", name: "demo-api-1", service: "api"})
	s := connected(t, SessionOptions{}, svc, act)
	if err := os.Remove(filepath.Join(host, "gone.py")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(host, "app.py"), "v2")
	s.apply(context.Background(), flushOf(s, "api",
		Change{Kind: Remove, HostPath: filepath.Join(host, "gone.py"), ContainerPath: filepath.Join(ctr, "gone.py")},
		Change{Kind: Write, HostPath: filepath.Join(host, "app.py"), ContainerPath: filepath.Join(ctr, "app.py")}))
	if got, want := readTree(t, ctr), map[string]string{"app.py": "v2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("container tree = %v, want %v", got, want)
	}
}

func TestApplyRestartsWithTheGracePeriod(t *testing.T) {
	svc, host, ctr := syncService(t, types.WatchActionSyncRestart)
	grace := types.Duration(7 * time.Second)
	svc.StopGracePeriod = &grace
	act := newFakeActions(t, runningContainer{id: "c1", name: "demo-api-1", service: "api"})
	s := connected(t, SessionOptions{}, svc, act)
	writeFile(t, filepath.Join(host, "config.yaml"), "lr: 0.1")
	s.apply(context.Background(), flushOf(s, "api", Change{Kind: Write, HostPath: filepath.Join(host, "config.yaml"), ContainerPath: filepath.Join(ctr, "config.yaml")}))
	if got := readTree(t, ctr)["config.yaml"]; got != "lr: 0.1" {
		t.Errorf("config not synced before the restart: %q", got)
	}
	if calls := act.Calls(); calls[len(calls)-1] != "restart c1 7s" {
		t.Errorf("calls = %v, want a restart with 7 s to stop", calls)
	}
	if s.services["api"].ctrs["c1"].conn != nil {
		t.Error("the helper connection survived the restart; the start event should bring a new one")
	}
}

func TestApplyRunsExecAndWarnsOnItsExitCode(t *testing.T) {
	svc, host, ctr := syncService(t, types.WatchActionSyncExec, "python", "-m", "reload")
	act := newFakeActions(t, runningContainer{id: "c1", name: "demo-api-1", service: "api"})
	act.exit = 3
	s, out, errOut := testSession(t, SessionOptions{}, act, svc)
	if err := s.findRunning(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.closeAll()
	writeFile(t, filepath.Join(host, "t.html"), "<p>")
	s.apply(context.Background(), flushOf(s, "api", Change{Kind: Write, HostPath: filepath.Join(host, "t.html"), ContainerPath: filepath.Join(ctr, "t.html")}))
	if calls := act.Calls(); calls[len(calls)-1] != "exec c1 python -m reload" {
		t.Errorf("calls = %v", calls)
	}
	if !strings.Contains(out.String(), "reloaded") {
		t.Errorf("exec output not shown: %q", out)
	}
	if !strings.Contains(errOut.String(), `"python -m reload" exited with code 3 in demo-api-1`) {
		t.Errorf("exit code not warned: %q", errOut)
	}
}

func TestApplyRebuildsAndRecreatesRestartDependents(t *testing.T) {
	dir := tree(t)
	api := watched("api", types.Trigger{Path: filepath.Join(dir, "requirements.txt"), Action: types.WatchActionRebuild})
	api.Build = &types.BuildConfig{Context: dir}
	worker := types.ServiceConfig{Name: "worker"}
	worker.DependsOn = types.DependsOnConfig{"api": {Condition: "service_started", Restart: true, Required: true}}
	act := newFakeActions(t)
	act.image = "sha256:new"
	s, out, _ := testSession(t, SessionOptions{}, act, api, worker)
	s.apply(context.Background(), flushOf(s, "api", Change{Kind: Write, HostPath: filepath.Join(dir, "requirements.txt")}))
	want := []string{"build api", "recreate [api worker] map[api:sha256:new]"}
	if got := act.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
	if !strings.Contains(out.String(), "rebuilt and recreated") {
		t.Errorf("output %q", out)
	}

	act.calls, act.buildErr = nil, os.ErrInvalid
	_, errOut := captureWarn(s)
	s.apply(context.Background(), flushOf(s, "api", Change{Kind: Write, HostPath: filepath.Join(dir, "requirements.txt")}))
	if got := act.Calls(); !reflect.DeepEqual(got, []string{"build api"}) {
		t.Errorf("a failed build recreated: %v", got)
	}
	if !strings.Contains(errOut.String(), "rebuild failed, the running container is kept") {
		t.Errorf("warning %q", errOut)
	}
}

// captureWarn points the session's output at fresh buffers.
func captureWarn(s *session) (*strings.Builder, *strings.Builder) {
	out, errOut := &strings.Builder{}, &strings.Builder{}
	s.out.ui = ui.Test(nil, out, errOut)
	return out, errOut
}

func TestRestartWithoutContainerIsWarned(t *testing.T) {
	dir := tree(t)
	svc := watched("api", types.Trigger{Path: dir, Action: types.WatchActionRestart})
	act := newFakeActions(t)
	s, _, errOut := testSession(t, SessionOptions{}, act, svc)
	s.apply(context.Background(), flushOf(s, "api", Change{Kind: Write, HostPath: filepath.Join(dir, "x")}))
	if !strings.Contains(errOut.String(), `service "api": no running container to restart`) {
		t.Errorf("warning %q", errOut)
	}
}

func startEvent(service, id string) events.Message {
	return events.Message{Action: events.ActionStart, Actor: events.Actor{ID: id, Attributes: map[string]string{"com.docker.compose.service": service, "name": "demo-" + service + "-1"}}}
}

func TestEventsReplayChangesMadeWhileAContainerWasDown(t *testing.T) {
	svc, host, ctr := syncService(t, types.WatchActionSync)
	writeFile(t, filepath.Join(host, "a.py"), "1")
	act := newFakeActions(t, runningContainer{id: "c1", name: "demo-api-1", service: "api"})
	s := connected(t, SessionOptions{NoInitialSync: true}, svc, act)
	ctx := context.Background()

	die := startEvent("api", "c1")
	die.Action = events.ActionDie
	s.onEvent(ctx, die)
	if s.services["api"].ctrs["c1"].conn != nil {
		t.Fatal("die left the helper connection open")
	}
	// While it is down: a.py is deleted, b.py written. Nothing reaches the container yet.
	writeFile(t, filepath.Join(ctr, "a.py"), "1")
	os.Remove(filepath.Join(host, "a.py"))
	writeFile(t, filepath.Join(host, "b.py"), "2")
	s.apply(ctx, flushOf(s, "api",
		Change{Kind: Remove, HostPath: filepath.Join(host, "a.py"), ContainerPath: filepath.Join(ctr, "a.py")},
		Change{Kind: Write, HostPath: filepath.Join(host, "b.py"), ContainerPath: filepath.Join(ctr, "b.py")}))
	if got := readTree(t, ctr); !reflect.DeepEqual(got, map[string]string{"a.py": "1"}) {
		t.Fatalf("a down container was changed: %v", got)
	}
	s.onEvent(ctx, startEvent("api", "c1"))
	if got, want := readTree(t, ctr), map[string]string{"b.py": "2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after the start: %v, want %v", got, want)
	}
	s.onEvent(ctx, startEvent("other", "c9"))
	destroy := startEvent("api", "c1")
	destroy.Action = events.ActionDestroy
	s.onEvent(ctx, destroy)
	if len(s.services["api"].ctrs) != 0 {
		t.Error("destroy kept the container")
	}
}

func TestALostHelperIsStartedAgainWhileTheContainerRuns(t *testing.T) {
	svc, _, _ := syncService(t, types.WatchActionSync)
	act := newFakeActions(t, runningContainer{id: "c1", name: "demo-api-1", service: "api"})
	s := connected(t, SessionOptions{}, svc, act)
	ctx := context.Background()
	first := s.services["api"].ctrs["c1"].conn.(*fakeConn)
	first.Close()
	<-first.Done()
	s.onLost(ctx, "c1")
	if c := s.services["api"].ctrs["c1"].conn; c == nil || c == first {
		t.Fatalf("helper not started again: %v", c)
	}
	// A stopped container is left to its next start event.
	second := s.services["api"].ctrs["c1"].conn.(*fakeConn)
	act.down["c1"] = true
	second.Close()
	<-second.Done()
	s.onLost(ctx, "c1")
	if c := s.services["api"].ctrs["c1"].conn; c != nil {
		t.Error("reconnected to a stopped container")
	}
}

func TestABrokenStreamDropsTheConnection(t *testing.T) {
	svc, host, ctr := syncService(t, types.WatchActionSync)
	act := newFakeActions(t, runningContainer{id: "c1", name: "demo-api-1", service: "api"})
	s := connected(t, SessionOptions{}, svc, act)
	c := s.services["api"].ctrs["c1"].conn.(*fakeConn)
	c.broken = true
	writeFile(t, filepath.Join(host, "x.py"), "x")
	s.apply(context.Background(), flushOf(s, "api", Change{Kind: Write, HostPath: filepath.Join(host, "x.py"), ContainerPath: filepath.Join(ctr, "x.py")}))
	if s.services["api"].ctrs["c1"].conn != nil {
		t.Error("a broken stream was kept")
	}
	if s.services["api"].dirty[filepath.Join(ctr, "x.py")].HostPath == "" {
		t.Error("the change was not remembered for the next start")
	}
}

func TestOpFailuresAreWarnedAndTheRestApplied(t *testing.T) {
	svc, host, ctr := syncService(t, types.WatchActionSync)
	act := newFakeActions(t, runningContainer{id: "c1", name: "demo-api-1", service: "api"})
	s, _, errOut := testSession(t, SessionOptions{}, act, svc)
	if err := s.findRunning(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.closeAll()
	writeFile(t, filepath.Join(host, "ok.py"), "ok")
	s.apply(context.Background(), flushOf(s, "api",
		Change{Kind: Write, HostPath: filepath.Join(host, "ok.py"), ContainerPath: "/outside/the/roots"},
		Change{Kind: Write, HostPath: filepath.Join(host, "ok.py"), ContainerPath: filepath.Join(ctr, "ok.py")}))
	if got := readTree(t, ctr)["ok.py"]; got != "ok" {
		t.Errorf("the good op was not applied: %q", got)
	}
	if !strings.Contains(errOut.String(), "1 change(s) not applied") || !strings.Contains(errOut.String(), "outside the allowed roots") {
		t.Errorf("warning %q", errOut)
	}
	if s.services["api"].ctrs["c1"].conn == nil {
		t.Error("an op failure dropped the connection")
	}
}

func TestOwnersComeFromTheContainerUser(t *testing.T) {
	svc, host, _ := syncService(t, types.WatchActionSync)
	writeFile(t, filepath.Join(host, "a.py"), "1")
	act := newFakeActions(t, runningContainer{id: "c1", name: "demo-api-1", service: "api"})
	act.user = "1000:1001"
	connected(t, SessionOptions{}, svc, act)
	if len(act.conns["c1"].Batches()) == 0 {
		t.Fatal("no initial sync ran")
	}
	for _, b := range act.conns["c1"].Batches() {
		for _, op := range b.Ops {
			if op.Owner == nil || *op.Owner != (syncd.Owner{UID: 1000, GID: 1001}) {
				t.Errorf("op %+v has owner %v, want 1000:1001", op, op.Owner)
			}
		}
	}
	// A user that cannot be resolved is warned, and files get the target directory's owner.
	act2 := newFakeActions(t, runningContainer{id: "c1", name: "demo-api-1", service: "api"})
	act2.user = "app"
	s2, _, errOut2 := testSession(t, SessionOptions{}, act2, svc)
	if err := s2.findRunning(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s2.closeAll()
	if !strings.Contains(errOut2.String(), "synced files get the owner of their target directory") {
		t.Errorf("warning %q", errOut2)
	}
}

func TestRunFollowsEditsUntilCancelled(t *testing.T) {
	svc, host, ctr := syncService(t, types.WatchActionSync)
	act := newFakeActions(t, runningContainer{id: "c1", name: "demo-api-1", service: "api"})
	s, out, errOut := testSession(t, SessionOptions{Services: []string{"api"}}, act, svc)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx) }()
	waitFor(t, func() bool { return strings.Contains(errOut.String()+out.String(), "Watching") })
	writeFile(t, filepath.Join(host, "edit.py"), "edited")
	waitFor(t, func() bool { return readTree(t, ctr)["edit.py"] == "edited" })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run returned %v after Ctrl-C, want nil", err)
	}
	if got := act.Calls()[0]; got != "up [api]" {
		t.Errorf("first call %q, want the up", got)
	}
	if !strings.Contains(errOut.String()+out.String(), "Stopped watching; the stack is still running") {
		t.Errorf("output %q", errOut)
	}
}

func TestRunEndsOnAnEventStreamError(t *testing.T) {
	svc, _, _ := syncService(t, types.WatchActionSync)
	act := newFakeActions(t)
	s, _, _ := testSession(t, SessionOptions{NoUp: true}, act, svc)
	act.evErrs <- os.ErrClosed
	err := s.run(context.Background())
	if err == nil || !strings.Contains(err.Error(), `follow engine events of project "demo"`) {
		t.Fatalf("err = %v", err)
	}
	if len(act.Calls()) != 0 {
		t.Errorf("--no-up still called %v", act.Calls())
	}
}

// waitFor polls cond for up to a minute: a bound for a hung test, not a timing assertion.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
