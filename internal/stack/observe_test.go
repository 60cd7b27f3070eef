package stack

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
)

// startContainer creates and starts one service container on the fake engine, as another command would.
func startContainer(t *testing.T, fs *fakeStack, service, name, restart string) string {
	t.Helper()
	ctx := testCtx(t)
	resp, err := fs.eng.ContainerCreate(ctx, &container.Config{Image: "fixture", Labels: map[string]string{
		"com.docker.compose.project": "proj", "com.docker.compose.service": service, "com.docker.compose.oneoff": "False", "com.docker.compose.container-number": "1",
	}}, &container.HostConfig{RestartPolicy: parseRestart(restart)}, nil, nil, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.eng.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	return resp.ID
}

func parseRestart(s string) container.RestartPolicy {
	name, max, _ := strings.Cut(s, ":")
	n, _ := strconv.Atoi(max)
	return container.RestartPolicy{Name: container.RestartPolicyMode(name), MaximumRetryCount: n}
}

// waitFor polls the tracker's copy of a container until ok; the bound only turns a hang into a failure.
func waitFor(t *testing.T, tr *Tracker, id string, ok func(CState) bool) CState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got CState
	if err := tr.Wait(ctx, id, func(st CState) (bool, error) { got = st; return ok(st), nil }); err != nil {
		t.Fatalf("container state never came: %v (last: %+v)", err, got)
	}
	return got
}

func TestTrackerCountsRestartsAndSettlesEachExit(t *testing.T) {
	fs := newFakeStack(t, "services: {x: {image: fixture}}\n")
	tr := Track(testCtx(t), fs.eng, "proj")
	defer tr.Close()
	id := startContainer(t, fs, "worker", "proj-worker-1", "on-failure:2")
	for i := 1; i <= 2; i++ {
		if err := fs.eng.Crash(id, 1); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tr, id, func(st CState) bool { return st.Running && st.Restarts == i })
	}
	// The third failure is past on-failure:2: the engine leaves it exited, and the re-read says so.
	if err := fs.eng.Crash(id, 1); err != nil {
		t.Fatal(err)
	}
	st := waitFor(t, tr, id, CState.Ended)
	if st.Restarting || st.ExitCode != 1 || st.HowEnded() != "exited with code 1" {
		t.Fatalf("after the last failure: %+v, %q", st, st.HowEnded())
	}
}

func TestTrackerKeepsStateOfARemovedContainer(t *testing.T) {
	fs := newFakeStack(t, "services: {x: {image: fixture}}\n")
	tr := Track(testCtx(t), fs.eng, "proj")
	defer tr.Close()
	id := startContainer(t, fs, "db", "proj-db-1", "always")
	waitFor(t, tr, id, func(st CState) bool { return st.Running })
	if err := fs.eng.ContainerRemove(testCtx(t), id, container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	st := waitFor(t, tr, id, CState.Ended)
	if !st.Removed || st.Name != "proj-db-1" || st.HowEnded() != "was removed" {
		t.Fatalf("removed container: %+v", st)
	}
}

func TestTrackerUserStopIsFinalDespiteRestartAlways(t *testing.T) {
	for _, how := range []string{"stopped", "killed"} {
		t.Run(how, func(t *testing.T) {
			fs := newFakeStack(t, "services: {x: {image: fixture}}\n")
			tr := Track(testCtx(t), fs.eng, "proj")
			defer tr.Close()
			id := startContainer(t, fs, "db", "proj-db-1", "always")
			if how == "stopped" {
				_ = fs.eng.ContainerStop(testCtx(t), id, container.StopOptions{})
			} else {
				_ = fs.eng.ContainerKill(testCtx(t), id, "9")
			}
			st := waitFor(t, tr, id, CState.Ended)
			if st.Stopped != how || !strings.Contains(st.HowEnded(), "was "+how) {
				t.Fatalf("want %q, got %+v (%s)", how, st, st.HowEnded())
			}
		})
	}
}

// A die that the event stream delivered before a lagging list was read must not be overwritten by
// the list's older "running".
func TestTrackerListOlderThanAnEventDoesNotWin(t *testing.T) {
	fs := newFakeStack(t, "services: {x: {image: fixture}}\n")
	ctx := testCtx(t)
	tr := Track(ctx, fs.eng, "proj")
	defer tr.Close()
	id := startContainer(t, fs, "init", "proj-init-1", "no")
	fs.eng.Drain(ctx)
	waitFor(t, tr, id, func(st CState) bool { return st.Running })

	// A list that lags the die (the engine's list reads a replicated view) must not undo it.
	stale, err := fs.eng.ContainerList(ctx, container.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.eng.Crash(id, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tr, id, CState.Ended)
	for _, c := range stale {
		tr.SeedSummary(c)
	}
	if st := tr.Get(id); !st.Exited || st.Running {
		t.Fatalf("a list older than the die replaced it: %+v", st)
	}

	// A container the tracker has no event for takes the list's word.
	tr2 := Track(ctx, fs.eng, "proj")
	defer tr2.Close()
	fresh, _ := fs.eng.ContainerList(ctx, container.ListOptions{All: true})
	for _, c := range fresh {
		tr2.SeedSummary(c)
	}
	if st := tr2.Get(id); !st.Ended() || st.Name != "proj-init-1" {
		t.Fatalf("a list seeding a tracker without events: %+v", st)
	}
}

func TestTrackerRefreshSettlesAWaitWithoutEvents(t *testing.T) {
	fs := newFakeStack(t, "services: {x: {image: fixture}}\n")
	ctx := testCtx(t)
	// A tracker subscribed too late sees no event: its wait still settles on a re-read.
	id := startContainer(t, fs, "init", "proj-init-1", "no")
	_ = fs.eng.Crash(id, 4)
	tr := Track(ctx, fs.eng, "proj")
	defer tr.Close()
	if err := tr.Seed(ctx, id); err != nil {
		t.Fatal(err)
	}
	if st := tr.Get(id); !st.Ended() || st.ExitCode != 4 {
		t.Fatalf("seeded state: %+v", st)
	}
	_ = fs.eng.ContainerRemove(ctx, id, container.RemoveOptions{})
	tr.Refresh(ctx, id)
	if st := tr.Get(id); !st.Removed {
		t.Fatalf("a re-read of a removed container: %+v", st)
	}
}

func TestReadyCheck(t *testing.T) {
	fail := func(what string) error { return &failed{what} }
	cases := []struct {
		name  string
		st    CState
		hasHC bool
		done  bool
		err   string
	}{
		{"running without healthcheck", CState{Running: true, Settled: true}, false, true, ""},
		{"starting", CState{Running: true, Health: "starting", Settled: true}, true, false, ""},
		{"healthy", CState{Running: true, Health: "healthy", Settled: true}, true, true, ""},
		{"unhealthy", CState{Running: true, Health: "unhealthy", Settled: true}, true, false, "is unhealthy"},
		{"one-shot done", CState{Exited: true, Settled: true}, false, true, ""},
		{"exit not yet settled", CState{Exited: true, ExitCode: 1}, false, false, ""},
		{"restarting", CState{Exited: true, ExitCode: 1, Restarting: true, Settled: true}, true, false, ""},
		{"failed", CState{Exited: true, ExitCode: 3, Settled: true}, false, false, "exited with code 3"},
		{"stopped by hand", CState{Exited: true, ExitCode: 0, Stopped: "stopped", Settled: true}, true, false, "was stopped by hand (exit code 0)"},
		{"removed", CState{Removed: true, Settled: true}, true, false, "was removed"},
		{"created", CState{Settled: true}, false, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done, err := readyCheck(c.st, c.hasHC, fail)
			if done != c.done {
				t.Errorf("done = %v, want %v", done, c.done)
			}
			if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
				t.Errorf("err = %v, want %q", err, c.err)
			}
		})
	}
}

type failed struct{ what string }

func (f *failed) Error() string { return f.what }

// A tracker that joins late learns from a health event alone that the container runs; events of
// other kinds (exec, attach) change nothing.
func TestTrackerReadsInjectedEvents(t *testing.T) {
	fs := newFakeStack(t, "services: {x: {image: fixture}}\n")
	tr := Track(testCtx(t), fs.eng, "proj")
	defer tr.Close()
	attrs := map[string]string{"com.docker.compose.project": "proj", "com.docker.compose.service": "db", "name": "proj-db-1"}
	fs.eng.Emit(events.Message{Type: events.ContainerEventType, Action: "exec_start: /fixture probe", Actor: events.Actor{ID: "c1", Attributes: attrs}})
	fs.eng.Emit(events.Message{Type: events.ContainerEventType, Action: "health_status: healthy", Actor: events.Actor{ID: "c1", Attributes: attrs}})
	st := waitFor(t, tr, "c1", func(st CState) bool { return st.Health == "healthy" })
	if !st.Running || st.Service != "db" || st.Name != "proj-db-1" {
		t.Fatalf("state from a health event: %+v", st)
	}
	if tr.Mark() != 1 {
		t.Fatalf("the exec event was counted: mark %d", tr.Mark())
	}
}

// Many waits on one container (a root service's dependents, --wait) share its periodic re-read:
// the safety net against a lost event does not multiply engine calls by the number of waiters.
func TestWaitsOnOneContainerShareTheirResync(t *testing.T) {
	fs := newFakeStack(t, "services: {x: {image: fixture}}\n")
	tr := Track(testCtx(t), fs.eng, "proj")
	defer tr.Close()
	id := startContainer(t, fs, "db", "proj-db-1", "no")
	var mu sync.Mutex
	inspects := 0
	fs.eng.OnCall = func(name, target string) {
		if name == "inspect" && target == id {
			mu.Lock()
			inspects++
			mu.Unlock()
		}
	}
	const waiters = 10
	ctx, cancel := context.WithTimeout(context.Background(), resyncEvery+resyncEvery/4)
	defer cancel()
	var wg sync.WaitGroup
	for range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = tr.Wait(ctx, id, func(st CState) (bool, error) { return st.Health == "healthy", nil })
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if inspects == 0 || inspects >= waiters {
		t.Fatalf("%d waits over one resync period made %d re-reads, want at least one and fewer than one each", waiters, inspects)
	}
}
