package stack

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"

	"github.com/mlstack/mlstack/internal/labels"
)

// CState is what the tracker knows of one container, fed by the engine's event stream.
type CState struct {
	ID, Name, Service string
	Running           bool
	Exited            bool
	ExitCode          int
	Health            string // "", "starting", "healthy", "unhealthy"
	Restarts          int
	// ProbePassed is set when mlstack's own early probe of the healthcheck passed (see prober).
	ProbePassed bool
}

// Tracker follows the project's containers through one event subscription and lets callers wait for
// conditions on them, without polling.
type Tracker struct {
	eng     Engine
	mu      sync.Mutex
	states  map[string]*CState
	changed chan struct{}
	err     error
	cancel  context.CancelFunc
	// probes bounds mlstack's concurrent early health probes: each is an exec, and many at once
	// slow the engine down for everything else it is starting.
	probes chan struct{}
}

// maxConcurrentProbes is how many early health probes run at once per command.
const maxConcurrentProbes = 2

// Track subscribes to the project's container events. Call Seed for containers that already exist.
func Track(ctx context.Context, eng Engine, project string) *Tracker {
	ctx, cancel := context.WithCancel(ctx)
	t := &Tracker{eng: eng, states: map[string]*CState{}, changed: make(chan struct{}), cancel: cancel, probes: make(chan struct{}, maxConcurrentProbes)}
	msgs, errs := eng.ContainerEvents(ctx, labels.ProjectFilter(project))
	go func() {
		for {
			select {
			case m := <-msgs:
				t.apply(m)
			case err := <-errs:
				t.mu.Lock()
				if ctx.Err() == nil {
					t.err = fmt.Errorf("engine event stream: %w", err)
				}
				t.notifyLocked()
				t.mu.Unlock()
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return t
}

// Close ends the subscription.
func (t *Tracker) Close() { t.cancel() }

func (t *Tracker) notifyLocked() {
	close(t.changed)
	t.changed = make(chan struct{})
}

func (t *Tracker) stateLocked(id string) *CState {
	st, ok := t.states[id]
	if !ok {
		st = &CState{ID: id}
		t.states[id] = st
	}
	return st
}

func (t *Tracker) apply(m events.Message) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.stateLocked(m.Actor.ID)
	if n := m.Actor.Attributes["name"]; n != "" {
		st.Name = n
	}
	if s := m.Actor.Attributes[labels.Service]; s != "" {
		st.Service = s
	}
	action := string(m.Action)
	switch {
	case action == "start":
		// A start after a die is the engine applying the restart policy (the event stream has no
		// separate event for it), which is what on-failure:N counts.
		if st.Exited {
			st.Restarts++
		}
		st.Running, st.Exited = true, false
		st.Health = ""
		st.ProbePassed = false
	case action == "die":
		st.Running, st.Exited = false, true
		st.ExitCode, _ = strconv.Atoi(m.Actor.Attributes["exitCode"])
	case strings.HasPrefix(action, "health_status"):
		st.Health = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(action, "health_status"), ":"))
	case action == "destroy":
		delete(t.states, m.Actor.ID)
	default:
		return
	}
	t.notifyLocked()
}

// Seed inspects a container once, after subscribing, so that a state change that happened before the
// subscription is not waited for forever.
func (t *Tracker) Seed(ctx context.Context, id string) error {
	in, err := t.eng.ContainerInspect(ctx, id)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.stateLocked(id)
	st.Name = strings.TrimPrefix(in.Name, "/")
	if in.Config != nil {
		st.Service = in.Config.Labels[labels.Service]
	}
	if in.State != nil {
		st.Running = in.State.Running
		st.Exited = !in.State.Running && in.State.FinishedAt != "" && in.State.FinishedAt != "0001-01-01T00:00:00Z"
		st.ExitCode = in.State.ExitCode
		if in.State.Health != nil {
			st.Health = in.State.Health.Status
		}
	}
	st.Restarts = in.RestartCount
	t.notifyLocked()
	return nil
}

// forget clears what is known of a container's previous run before it is started again, so a
// dependent does not read the last run's exit or health before the engine's start event arrives.
func (t *Tracker) forget(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.stateLocked(id)
	st.Running, st.Exited, st.ExitCode, st.Health, st.ProbePassed = false, false, 0, "", false
}

// SeedSummary records what a container list already says about a container, so that up needs no
// inspect per existing container. The list's state is as fresh as an inspect's: both are read after
// the event subscription.
func (t *Tracker) SeedSummary(c container.Summary) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.stateLocked(c.ID)
	st.Name = name(c)
	st.Service = c.Labels[labels.Service]
	st.Running = c.State == "running"
	st.Exited = c.State == "exited" || c.State == "dead"
	st.ExitCode, st.Health = statusExitCode(c.Status), statusHealth(c.Status)
	t.notifyLocked()
}

// markProbe records that mlstack's early probe passed.
func (t *Tracker) markProbe(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stateLocked(id).ProbePassed = true
	t.notifyLocked()
}

// Get returns a copy of a container's state.
func (t *Tracker) Get(id string) CState {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st, ok := t.states[id]; ok {
		return *st
	}
	return CState{ID: id}
}

// Wait blocks until check says done or fails, re-checking on every event for the container.
func (t *Tracker) Wait(ctx context.Context, id string, check func(CState) (bool, error)) error {
	for {
		t.mu.Lock()
		st := CState{ID: id}
		if s, ok := t.states[id]; ok {
			st = *s
		}
		ch := t.changed
		terr := t.err
		t.mu.Unlock()
		done, err := check(st)
		if err != nil || done {
			return err
		}
		if terr != nil {
			return terr
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// restartPolicyWillRestart reports whether the engine restarts a container that exited with code,
// having restarted it restarts times already.
func restartPolicyWillRestart(policy string, code, restarts int) bool {
	name, max, _ := strings.Cut(policy, ":")
	switch name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		if code == 0 {
			return false
		}
		n, _ := strconv.Atoi(max)
		return n == 0 || restarts < n
	}
	return false
}

// waitDeadline bounds a wait by an optional timeout, naming what timed out.
func waitDeadline(ctx context.Context, d time.Duration, what string) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, d, fmt.Errorf("timed out after %s waiting for %s", d, what))
}
