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

// CState is what the tracker knows of one container, fed by the engine's event stream and by
// re-reads (inspect, list) that never replace newer information.
type CState struct {
	ID, Name, Service string
	Running           bool
	Exited            bool
	ExitCode          int
	Health            string // "", "starting", "healthy", "unhealthy"
	Restarts          int
	// Restarting is the engine's word, read after each exit, that its restart policy brings the
	// container back; an exit is final once Settled and not Restarting.
	Restarting bool
	// Settled is false between an exit event and the re-read that says whether a restart comes.
	Settled bool
	// Stopped says how a user ended the container ("stopped" or "killed"); the engine never
	// restarts such a container, whatever its restart policy.
	Stopped string
	// Removed is set when the container no longer exists (destroyed, or not found on a re-read).
	Removed bool
	// ProbePassed is set when mlstack's own early probe of the healthcheck passed (see prober).
	ProbePassed bool

	// seq is the tracker's sequence number of the last event applied to this container: a re-read
	// started before it is older than what the tracker knows and is dropped.
	seq uint64
}

// Ended reports whether the container stopped for good: removed, or exited with no restart coming.
func (st CState) Ended() bool {
	return st.Removed || (st.Exited && st.Settled && !st.Restarting)
}

// HowEnded says, for messages, how a container that Ended ended.
func (st CState) HowEnded() string {
	switch {
	case st.Removed:
		return "was removed"
	case st.Stopped != "":
		return fmt.Sprintf("was %s by hand (exit code %d)", st.Stopped, st.ExitCode)
	}
	return fmt.Sprintf("exited with code %d", st.ExitCode)
}

// describe is a container's state in a few words, for a timeout's report; hasHC says it has a
// healthcheck, whose status is "starting" until the engine's first probe.
func (st CState) describe(hasHC bool) string {
	if hasHC && st.Running && st.Health == "" {
		st.Health = "starting"
	}
	switch {
	case st.Removed:
		return "removed"
	case st.Exited && st.Restarting:
		return fmt.Sprintf("restarting (exit code %d, %d restarts)", st.ExitCode, st.Restarts)
	case st.Exited:
		return fmt.Sprintf("exited (%d)", st.ExitCode)
	case st.Running && st.Health != "":
		return "running, health: " + st.Health
	case st.Running:
		return "running"
	}
	return "created, not started"
}

// Tracker follows the project's containers through one event subscription and lets callers wait for
// conditions on them, without polling.
type Tracker struct {
	eng     Engine
	mu      sync.Mutex
	seq     uint64
	states  map[string]*CState
	changed chan struct{}
	err     error
	cancel  context.CancelFunc
	// probes bounds mlstack's concurrent early health probes: each is an exec, and many at once
	// slow the engine down for everything else it is starting.
	probes chan struct{}
	// resynced is when each container's last resync re-read began: the waits on one container (its
	// dependents', --wait's) share one re-read instead of each inspecting it.
	resynced map[string]time.Time
}

// maxConcurrentProbes is how many early health probes run at once per command.
const maxConcurrentProbes = 2

// resyncEvery is how often a wait re-reads its container from the engine, so that a wait settles on
// the engine's state even if an event never arrived.
const resyncEvery = 2 * time.Second

// Track subscribes to the project's container events. Call Seed or SeedSummary for containers that
// already exist.
func Track(ctx context.Context, eng Engine, project string) *Tracker {
	ctx, cancel := context.WithCancel(ctx)
	t := &Tracker{eng: eng, states: map[string]*CState{}, changed: make(chan struct{}), cancel: cancel, probes: make(chan struct{}, maxConcurrentProbes), resynced: map[string]time.Time{}}
	msgs, errs := eng.ContainerEvents(ctx, labels.ProjectFilter(project))
	go func() {
		for {
			select {
			case m := <-msgs:
				id := m.Actor.ID
				switch t.apply(m) {
				case exitCrashed:
					go t.Refresh(ctx, id)
				case exitByUser:
					time.AfterFunc(userStopGrace, func() { t.Refresh(ctx, id) })
				}
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
		st = &CState{ID: id, Settled: true}
		t.states[id] = st
	}
	return st
}

// exitKind says how an exit event came, for when to re-read the container.
type exitKind int

const (
	noExit      exitKind = iota
	exitCrashed          // the process ended on its own: the engine's restart decision is made
	exitByUser           // after a kill or stop: `docker restart` starts it again right after
)

// userStopGrace is how long after an exit a user caused the tracker waits before it calls the exit
// final, so that `docker restart` (stop, then start) is not taken for a stop.
const userStopGrace = time.Second

// apply folds one event into the state; it reports an exit, which a re-read must settle (restart
// coming or not).
func (t *Tracker) apply(m events.Message) (exit exitKind) {
	t.mu.Lock()
	defer t.mu.Unlock()
	action := string(m.Action)
	switch {
	case action == "start", action == "die", action == "kill", action == "stop", action == "destroy", strings.HasPrefix(action, "health_status"):
	default:
		return noExit
	}
	st := t.stateLocked(m.Actor.ID)
	t.seq++
	st.seq = t.seq
	if n := m.Actor.Attributes["name"]; n != "" {
		st.Name = n
	}
	if s := m.Actor.Attributes[labels.Service]; s != "" {
		st.Service = s
	}
	switch {
	case action == "start":
		// A start after a die is the engine applying the restart policy (the event stream has no
		// separate event for it), which is what on-failure:N counts.
		if st.Exited {
			st.Restarts++
		}
		st.Running, st.Exited, st.Restarting, st.Settled, st.Stopped = true, false, false, true, ""
		st.Health = ""
		st.ProbePassed = false
	case action == "kill":
		// A kill precedes the die of `docker stop`, `docker kill` and `docker rm -f`: the exit that
		// follows is a user's, which the engine never restarts (a later start resets this).
		if st.Stopped == "" {
			st.Stopped = "stopped"
			if m.Actor.Attributes["signal"] == "9" || m.Actor.Attributes["signal"] == "KILL" {
				st.Stopped = "killed"
			}
		}
	case action == "stop":
		if st.Stopped == "" {
			st.Stopped = "stopped"
		}
	case action == "die":
		st.Running, st.Exited = false, true
		st.ExitCode, _ = strconv.Atoi(m.Actor.Attributes["exitCode"])
		// The engine decides on a restart before it reports the exit, so a re-read says which.
		st.Settled = false
		exit = exitCrashed
		if st.Stopped != "" {
			exit = exitByUser
		}
	case strings.HasPrefix(action, "health_status"):
		st.Health = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(action, "health_status"), ":"))
		// Only a running container is probed: this also tells a tracker seeded late that it runs. A
		// result reported after the exit is about a process that is gone.
		if !st.Exited {
			st.Running = true
		} else {
			st.Health = ""
		}
	case action == "destroy":
		// The state is kept: a wait on this container must learn that it is gone.
		st.Removed, st.Running, st.Settled = true, false, true
	}
	t.notifyLocked()
	return exit
}

// Mark returns the tracker's event sequence number: a re-read started after it is newer than every
// event applied so far.
func (t *Tracker) Mark() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seq
}

// Seed reads a container once after subscribing, so that a state change that happened before the
// subscription is not waited for forever.
func (t *Tracker) Seed(ctx context.Context, id string) error {
	return t.reread(ctx, id)
}

// Refresh re-reads a container from the engine and applies what it says unless an event newer than
// the read arrived meanwhile; a container that no longer exists is marked removed.
func (t *Tracker) Refresh(ctx context.Context, id string) {
	_ = t.reread(ctx, id)
}

// markRemoved records that a container no longer exists: nothing newer can come for its ID.
func (t *Tracker) markRemoved(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.stateLocked(id)
	st.Removed, st.Running, st.Settled = true, false, true
	t.notifyLocked()
}

func (t *Tracker) reread(ctx context.Context, id string) error {
	// An event applied during the read may be older or newer than it; read again until none did.
	for attempt := 0; attempt < 5; attempt++ {
		mark := t.Mark()
		in, err := t.eng.ContainerInspect(ctx, id)
		if err != nil {
			if isNotFound(err) {
				t.markRemoved(id)
				return nil
			}
			return err
		}
		t.mu.Lock()
		st := t.stateLocked(id)
		if st.seq > mark {
			t.mu.Unlock()
			continue
		}
		st.Name = strings.TrimPrefix(in.Name, "/")
		if in.Config != nil {
			st.Service = in.Config.Labels[labels.Service]
		}
		if s := in.State; s != nil {
			// The engine reports a container waiting out its restart back-off as running and
			// restarting at once; its process has exited, and its health is that of the last run.
			st.Restarting = s.Restarting
			st.Running = s.Running && !s.Restarting
			st.Exited = !st.Running && (s.Restarting || (s.FinishedAt != "" && s.FinishedAt != "0001-01-01T00:00:00Z"))
			st.ExitCode = s.ExitCode
			st.Settled = true
			st.Health = ""
			if s.Health != nil && st.Running {
				st.Health = string(s.Health.Status)
			}
		}
		st.Restarts = in.RestartCount
		t.notifyLocked()
		t.mu.Unlock()
		return nil
	}
	return nil
}

// forget clears what is known of a container's previous run before it is started again, so a
// dependent does not read the last run's exit or health before the engine's start event arrives.
func (t *Tracker) forget(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.stateLocked(id)
	st.Running, st.Exited, st.ExitCode, st.Health, st.ProbePassed = false, false, 0, "", false
	st.Restarting, st.Settled, st.Stopped = false, true, ""
}

// SeedSummary records what a container list read after the subscription says about a container, so
// that up needs no inspect per existing container. A container the tracker has had an event for keeps
// what the events said: they are complete since the subscription, and the list, read from the
// engine's replicated view, may lag them.
func (t *Tracker) SeedSummary(c container.Summary) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.stateLocked(c.ID)
	if st.seq != 0 {
		return
	}
	st.Name = name(c)
	st.Service = c.Labels[labels.Service]
	st.Running = c.State == "running"
	st.Restarting = c.State == "restarting"
	st.Exited = c.State == "exited" || c.State == "dead" || st.Restarting
	st.Settled = true
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
	return CState{ID: id, Settled: true}
}

// Wait blocks until check says done or fails, re-checking on every event for the container and
// re-reading the container from the engine every resyncEvery.
func (t *Tracker) Wait(ctx context.Context, id string, check func(CState) (bool, error)) error {
	resync := time.NewTicker(resyncEvery)
	defer resync.Stop()
	for {
		t.mu.Lock()
		st := CState{ID: id, Settled: true}
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
		case <-resync.C:
			go t.resync(ctx, id)
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// resync re-reads a container for a wait unless another wait's re-read of it began less than half
// of resyncEvery ago, so every container is still re-read at least every resyncEvery while waited
// for. A 100-service up has dozens of waits at once; each inspecting on its own loads the engine
// that is starting the project.
func (t *Tracker) resync(ctx context.Context, id string) {
	t.mu.Lock()
	if time.Since(t.resynced[id]) < resyncEvery/2 {
		t.mu.Unlock()
		return
	}
	t.resynced[id] = time.Now()
	t.mu.Unlock()
	t.Refresh(ctx, id)
}

// waitBound is a wait's deadline and the error that names what the wait was for.
type waitBound struct {
	deadline time.Time
	cause    error
}

// newWaitBound starts a bound of d on a wait for what.
func newWaitBound(d time.Duration, what string) *waitBound {
	return &waitBound{deadline: time.Now().Add(d), cause: fmt.Errorf("timed out after %s waiting for %s", d, what)}
}

// within bounds ctx by the deadline; a nil bound bounds nothing.
func (b *waitBound) within(ctx context.Context) (context.Context, context.CancelFunc) {
	if b == nil {
		return context.WithCancel(ctx)
	}
	return context.WithDeadlineCause(ctx, b.deadline, b.cause)
}
