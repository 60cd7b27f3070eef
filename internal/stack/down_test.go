package stack

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

	"github.com/mlstack/mlstack/internal/enginefake"
)

const jobsStack = `
services:
  web:
    image: fixture
  trainer:
    image: fixture
  finished:
    image: fixture
  kept:
    image: fixture
`

// down removes the services and a finished job's exited container, and leaves a job running in
// another terminal and a container kept on purpose, with the project network they use; with
// --remove-orphans it removes them all.
func TestDownLeavesRunningAndKeptOneOffs(t *testing.T) {
	fs := newFakeStack(t, jobsStack)
	fs.eng.SetBehavior("finished", enginefake.Behavior{Exit: ptr(0)})
	fs.eng.SetBehavior("kept", enginefake.Behavior{Exit: ptr(0)})
	ctx := testCtx(t)
	if err := fs.Up(ctx, UpOptions{Detach: true, Services: []string{"web"}}); err != nil {
		t.Fatal(err)
	}
	job := func(o OneOffOptions) string {
		var name string
		o.NoDeps, o.Started = true, func(s OneOffStarted) { name = s.Name }
		if _, err := fs.RunOneOff(ctx, o); err != nil {
			t.Fatalf("run %s: %v", o.Service, err)
		}
		return name
	}
	running := job(OneOffOptions{Service: "trainer", Detach: true})
	finished := job(OneOffOptions{Service: "finished", Keep: true})
	kept := job(OneOffOptions{Service: "kept", Keep: true})

	if err := fs.Down(ctx, DownOptions{EndedJobs: map[string]bool{finished: true, running: true}}); err != nil {
		t.Fatalf("down: %v", err)
	}
	var left []string
	for _, c := range fs.eng.Containers() {
		left = append(left, c.Name)
	}
	slices.Sort(left)
	if want := []string{running, kept}; !slices.Equal(left, slices.Sorted(slices.Values(want))) {
		t.Errorf("containers after down: %v, want only the running job %s and the kept %s", left, running, kept)
	}
	if c, _ := fs.eng.Lookup(running); c.State != container.StateRunning {
		t.Errorf("down touched the running job %s: %s", running, c.State)
	}
	out := fs.out.String()
	for _, want := range []string{running + " (running)", kept + " (kept)", "down --remove-orphans", "left network proj_default in place"} {
		if !strings.Contains(out, want) {
			t.Errorf("down's output lacks %q:\n%s", want, out)
		}
	}
	if nets := fs.eng.NetworkNames(); !slices.Equal(nets, []string{"proj_default"}) {
		t.Errorf("networks after down: %v, want proj_default kept for the jobs", nets)
	}

	if err := fs.Down(context.Background(), DownOptions{RemoveOrphans: true}); err != nil {
		t.Fatalf("down --remove-orphans: %v", err)
	}
	if n, nets := len(fs.eng.Containers()), fs.eng.NetworkNames(); n != 0 || len(nets) != 0 {
		t.Errorf("down --remove-orphans left %d containers, networks %v", n, nets)
	}
}

// removingElsewhere is the fake engine with one container being removed by another process (a
// job's own mlstack) when down gets to it: the engine refuses down's remove as already in progress.
type removingElsewhere struct {
	*enginefake.Engine
	name string
}

func (e removingElsewhere) ContainerRemove(ctx context.Context, ref string, o container.RemoveOptions) error {
	c, err := e.ContainerInspect(ctx, ref)
	if err != nil || strings.TrimPrefix(c.Name, "/") != e.name {
		return e.Engine.ContainerRemove(ctx, ref, o)
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		_ = e.Engine.ContainerRemove(context.Background(), ref, o)
	}()
	return cerrdefs.ErrConflict.WithMessage("removal of container " + ref + " is already in progress")
}

func TestDownWaitsOutARemovalAlreadyInProgress(t *testing.T) {
	fs := newFakeStack(t, jobsStack)
	ctx := testCtx(t)
	if err := fs.Up(ctx, UpOptions{Detach: true, Services: []string{"web"}}); err != nil {
		t.Fatal(err)
	}
	var running string
	if _, err := fs.RunOneOff(ctx, OneOffOptions{Service: "trainer", Detach: true, NoDeps: true, Started: func(s OneOffStarted) { running = s.Name }}); err != nil {
		t.Fatal(err)
	}
	fs.API = removingElsewhere{Engine: fs.eng, name: running}
	if err := fs.Down(ctx, DownOptions{RemoveOrphans: true}); err != nil {
		t.Fatalf("down while the job's own mlstack removes it: %v", err)
	}
	if left := fs.eng.Containers(); len(left) > 0 {
		t.Errorf("containers after down --remove-orphans: %v, want none", left)
	}
	if nets, _ := fs.eng.NetworkList(ctx, network.ListOptions{}); len(nets) > 0 {
		t.Errorf("networks after down --remove-orphans: %d, want none (the job's removal finished first)", len(nets))
	}
}
