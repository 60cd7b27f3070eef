package dashboard

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"

	"github.com/mlstack/mlstack/internal/labels"
)

// fakeEngine holds containers in memory and emits the events a test sends.
type fakeEngine struct {
	mu      sync.Mutex
	byID    map[string]container.InspectResponse
	events  chan events.Message
	stopped []string
	// gate, when set, holds every inspect until it is closed, as the engine does during a stop's clean-up.
	gate chan struct{}
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{byID: map[string]container.InspectResponse{}, events: make(chan events.Message, 16)}
}

func (f *fakeEngine) ContainerList(ctx context.Context, o container.ListOptions) ([]container.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []container.Summary
	for id := range f.byID {
		out = append(out, container.Summary{ID: id})
	}
	return out, nil
}

func (f *fakeEngine) ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error) {
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return container.InspectResponse{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.byID {
		if c.ID == id || c.Name == "/"+id {
			return c, nil
		}
	}
	return container.InspectResponse{}, cerrdefs.ErrNotFound.WithMessage("no such container " + id)
}

func (f *fakeEngine) ContainerEvents(ctx context.Context, labelFilters ...string) (<-chan events.Message, <-chan error) {
	return f.events, make(chan error)
}

func (f *fakeEngine) ContainerStop(ctx context.Context, id string, o container.StopOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, id)
	return nil
}

// set stores a container and, when emit is non-empty, sends that event for it.
func (f *fakeEngine) set(c container.InspectResponse, emit string) {
	f.mu.Lock()
	f.byID[c.ID] = c
	f.mu.Unlock()
	if emit != "" {
		attrs := map[string]string{}
		if emit == "die" {
			attrs["exitCode"] = fmt.Sprint(c.State.ExitCode)
		}
		f.events <- events.Message{Action: events.Action(emit), Actor: events.Actor{ID: c.ID, Attributes: attrs}, TimeNano: time.Now().UnixNano()}
	}
}

func (f *fakeEngine) remove(id string) {
	f.mu.Lock()
	delete(f.byID, id)
	f.mu.Unlock()
	f.events <- events.Message{Action: "destroy", Actor: events.Actor{ID: id}}
}

// ctr builds an inspect answer for a service container (oneoff false) or a job (oneoff true).
func ctr(project, service, name, status string, oneoff bool) container.InspectResponse {
	one := "False"
	if oneoff {
		one = "True"
	}
	return container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{
			ID: "id-" + name, Name: "/" + name,
			State: &container.State{Status: status, Running: status == "running", StartedAt: time.Now().UTC().Format(time.RFC3339Nano)},
		},
		Config: &container.Config{Image: "img:" + service, Labels: map[string]string{
			labels.Project: project, labels.Service: service, labels.OneOff: one,
		}},
	}
}

// waitFor re-reads the observer on every update until cond holds; the bound only keeps a broken
// build from hanging.
func waitFor(t *testing.T, o *Observer, what string, cond func([]Container) bool) []Container {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		cs, _, _, next := o.Snapshot()
		if cond(cs) {
			return cs
		}
		select {
		case <-next:
		case <-deadline:
			t.Fatalf("observer never showed %s; it has %+v", what, cs)
		}
	}
}

func find(cs []Container, name string) (Container, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c, true
		}
	}
	return Container{}, false
}

func statusOf(name, want string) func([]Container) bool {
	return func(cs []Container) bool {
		c, ok := find(cs, name)
		return ok && fmt.Sprint(c.Status) == want
	}
}
