package train

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/runs"
)

// fakeContainers is an engine holding a few one-off containers by name.
type fakeContainers struct {
	states  map[string]*container.State
	removed []string
}

func (f *fakeContainers) ContainerInspect(_ context.Context, name string) (container.InspectResponse, error) {
	st, ok := f.states[name]
	if !ok {
		return container.InspectResponse{}, errdefs.ErrNotFound
	}
	return container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{Name: "/" + name, State: st}}, nil
}

func (f *fakeContainers) ContainerList(_ context.Context, _ container.ListOptions) ([]container.Summary, error) {
	var out []container.Summary
	for name, st := range f.states {
		if st.Status == "exited" { // the status=exited filter
			out = append(out, container.Summary{ID: "id-" + name, Names: []string{"/" + name}})
		}
	}
	return out, nil
}

func (f *fakeContainers) ContainerRemove(_ context.Context, id string, _ container.RemoveOptions) error {
	f.removed = append(f.removed, id)
	return nil
}

func TestReconcileAndRemoveFinished(t *testing.T) {
	store := runs.Store{Dir: t.TempDir()}
	start := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	end := start.Add(time.Minute).Format(time.RFC3339Nano)
	save := func(id, cname, owner string, finished bool) {
		r := &runs.Record{ID: id, ContainerName: cname, Owner: owner, StartedAt: start}
		if finished {
			r.Finish(start.Add(time.Second), 0)
		}
		if err := store.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	save("a-killed-exited", "p-t-run-a", "elsewhere:1", false)
	save("b-killed-vanished", "p-t-run-b", "elsewhere:1", false)
	save("c-other-terminal-running", "p-t-run-c", "elsewhere:1", false)
	save("d-this-process", "p-t-run-d", runs.OwnerHere(), false)
	save("e-finished", "p-t-run-e", "", true)
	// A training Job on a cluster whose mlstack-kube is gone: this engine has no container to judge it by.
	onCluster := &runs.Record{ID: "f-on-a-cluster", ContainerName: "training-x7k2p", Owner: "elsewhere:1", StartedAt: start, Cluster: "sim", Namespace: "p", Job: "p-training-run-1"}
	if err := store.Save(onCluster); err != nil {
		t.Fatal(err)
	}
	eng := &fakeContainers{states: map[string]*container.State{
		"p-t-run-a":       {Status: "exited", ExitCode: 3, FinishedAt: end},
		"p-t-run-c":       {Status: "running", Running: true},
		"p-t-run-d":       {Status: "exited", ExitCode: 1, FinishedAt: end},
		"p-t-run-e":       {Status: "exited"},
		"p-t-run-kept":    {Status: "exited"}, // run --rm=false: no record
		"p-t-run-crashed": {Status: "exited"},
	}}
	changed, err := Reconcile(context.Background(), eng, store)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(changed)
	if !slices.Equal(changed, []string{"a-killed-exited", "b-killed-vanished"}) {
		t.Errorf("Reconcile changed %v, want the killed runs only", changed)
	}
	a, _ := store.Get("a-killed-exited")
	if !a.Finished() || a.ExitCode != 3 || a.Duration() != time.Minute {
		t.Errorf("run a = exit %d after %s (finished %v), want exit 3 after 1m0s", a.ExitCode, a.Duration(), a.Finished())
	}
	if b, _ := store.Get("b-killed-vanished"); !b.Lost {
		t.Errorf("run b, whose container vanished, is not lost: %+v", b)
	}
	for _, id := range []string{"c-other-terminal-running", "d-this-process", "f-on-a-cluster"} {
		if r, _ := store.Get(id); !r.Running() {
			t.Errorf("run %s was settled although it is going", id)
		}
	}

	removed, err := RemoveFinished(context.Background(), eng, store, "p")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if !slices.Equal(removed, []string{"p-t-run-a", "p-t-run-e"}) {
		t.Errorf("RemoveFinished removed %v, want the exited containers of finished runs only", removed)
	}
}
