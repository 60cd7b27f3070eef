package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/labels"
)

// Engine is the part of the Engine API the dashboard reads the stack's state from and acts through.
type Engine interface {
	ContainerList(ctx context.Context, o container.ListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
	ContainerEvents(ctx context.Context, labelFilters ...string) (<-chan events.Message, <-chan error)
	ContainerStop(ctx context.Context, id string, o container.StopOptions) error
}

// Container is what the page shows of one container.
type Container struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Service string `json:"service"`
	OneOff  bool   `json:"oneoff,omitempty"`
	// State is the engine's: created, running, restarting, exited, paused, dead.
	State string `json:"state"`
	// Health is the healthcheck's status, "" without one.
	Health string `json:"health,omitempty"`
	// Status is the one word the page shows: created, starting, healthy, unhealthy, running,
	// exited, restarting, paused.
	Status     string    `json:"status"`
	ExitCode   int       `json:"exit_code"`
	Restarts   int       `json:"restarts"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Image      string    `json:"image"`
	Ports      []Port    `json:"ports,omitempty"`
	// Probe is the last health probe's output while the container is unhealthy.
	Probe string `json:"probe,omitempty"`
}

// Port is one published port.
type Port struct {
	HostIP    string `json:"host_ip"`
	Published int    `json:"published"`
	Target    int    `json:"target"`
	Proto     string `json:"proto"`
}

// maxProbe bounds the probe output kept per container.
const maxProbe = 2048

// statusWord folds the engine's state and health into the word the page shows.
func statusWord(state, health string) string {
	if state != "running" {
		if state == "dead" {
			return "exited"
		}
		return state
	}
	if health == "" || health == "none" {
		return "running"
	}
	return health
}

// fromInspect reads what the page shows from one inspect.
func fromInspect(in container.InspectResponse) Container {
	c := Container{ID: in.ID, Name: strings.TrimPrefix(in.Name, "/"), Restarts: in.RestartCount}
	if in.Config != nil {
		c.Service = in.Config.Labels[labels.Service]
		c.OneOff = in.Config.Labels[labels.OneOff] == "True"
		c.Image = in.Config.Image
	}
	if s := in.State; s != nil {
		c.State, c.ExitCode = s.Status, s.ExitCode
		c.StartedAt = parseTime(s.StartedAt)
		c.FinishedAt = parseTime(s.FinishedAt)
		if s.Health != nil {
			c.Health = s.Health.Status
			if c.Health == "unhealthy" && len(s.Health.Log) > 0 {
				out := strings.TrimSpace(s.Health.Log[len(s.Health.Log)-1].Output)
				if len(out) > maxProbe {
					out = out[len(out)-maxProbe:]
				}
				c.Probe = out
			}
		}
	}
	c.Status = statusWord(c.State, c.Health)
	if in.NetworkSettings != nil {
		for port, binds := range in.NetworkSettings.Ports {
			for _, b := range binds {
				pub, _ := strconv.Atoi(b.HostPort)
				if pub == 0 {
					continue
				}
				c.Ports = append(c.Ports, Port{HostIP: b.HostIP, Published: pub, Target: port.Int(), Proto: port.Proto()})
			}
		}
		slices.SortFunc(c.Ports, func(a, b Port) int {
			return cmp.Or(cmp.Compare(a.Target, b.Target), cmp.Compare(a.HostIP, b.HostIP))
		})
	}
	return c
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() < 2000 {
		return time.Time{}
	}
	return t
}

// Observer keeps the project's containers as the engine reports them, from one event subscription.
// An event's own news (a start, a death with its exit code, a health status) shows at once; an
// inspect started by the event then fills in the rest (ports, probe output, restart count) and is
// kept only if no later event for that container came meanwhile, so an older reading never
// overwrites a newer one. The engine answers an inspect only after it has finished with a
// container (a stop's clean-up), so waiting for it would delay the page by that long.
type Observer struct {
	eng     Engine
	project string

	mu         sync.Mutex
	containers map[string]Container
	// events counts the events seen per container; an inspect applies only if none came after it began.
	events  map[string]int
	err     string
	version int
	changed chan struct{}
}

// resubscribeAfter is the pause before subscribing again when the event stream broke.
const resubscribeAfter = time.Second

// Observe starts following the project's containers until ctx ends.
func Observe(ctx context.Context, eng Engine, project string) *Observer {
	o := &Observer{eng: eng, project: project, containers: map[string]Container{}, events: map[string]int{}, changed: make(chan struct{})}
	go o.run(ctx)
	return o
}

func (o *Observer) run(ctx context.Context) {
	for ctx.Err() == nil {
		err := o.follow(ctx)
		if ctx.Err() != nil {
			return
		}
		o.update(func() { o.err = err.Error() })
		select {
		case <-ctx.Done():
			return
		case <-time.After(resubscribeAfter):
		}
	}
}

// follow subscribes, then lists and inspects every container (so nothing falls between the two),
// then applies events until the stream breaks.
func (o *Observer) follow(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs, errs := o.eng.ContainerEvents(ctx, labels.ProjectFilter(o.project))
	cs, err := o.eng.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", labels.ProjectFilter(o.project)))})
	if err != nil {
		return fmt.Errorf("list containers of project %q: %w", o.project, err)
	}
	fresh := map[string]Container{}
	for _, c := range cs {
		in, err := o.eng.ContainerInspect(ctx, c.ID)
		if err != nil {
			if engine.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("inspect container %s: %w", c.ID, err)
		}
		fresh[c.ID] = fromInspect(in)
	}
	o.update(func() { o.containers, o.err = fresh, "" })
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errs:
			return fmt.Errorf("engine event stream: %w", err)
		case m := <-msgs:
			if err := o.apply(ctx, m); err != nil {
				return err
			}
		}
	}
}

// ignored are event actions that change nothing the page shows (health probes run as execs).
func ignored(action string) bool {
	if strings.HasPrefix(action, "exec_") {
		return true
	}
	switch action {
	case "attach", "detach", "resize", "top", "copy", "archive-path", "extract-to-dir", "export", "commit":
		return true
	}
	return false
}

func (o *Observer) apply(ctx context.Context, m events.Message) error {
	id := m.Actor.ID
	if id == "" || ignored(string(m.Action)) {
		return nil
	}
	var seq int
	o.update(func() {
		o.events[id]++
		seq = o.events[id]
		if m.Action == "destroy" {
			delete(o.containers, id)
			return
		}
		if c, ok := o.containers[id]; ok {
			o.containers[id] = fromEvent(c, m)
		}
	})
	if m.Action != "destroy" {
		go o.refresh(ctx, id, seq)
	}
	return nil
}

// refresh inspects a container after its event number seq and keeps the result unless a later
// event came meanwhile (whose own refresh then decides).
func (o *Observer) refresh(ctx context.Context, id string, seq int) {
	in, err := o.eng.ContainerInspect(ctx, id)
	if err != nil && !engine.IsNotFound(err) {
		// The event's own news stays shown; the next event inspects again.
		return
	}
	o.mu.Lock()
	stale := o.events[id] != seq
	o.mu.Unlock()
	if stale {
		return
	}
	o.update(func() {
		if o.events[id] != seq {
			return
		}
		if err != nil {
			delete(o.containers, id)
			return
		}
		o.containers[id] = fromInspect(in)
	})
}

// fromEvent applies what an event itself says about a container.
func fromEvent(c Container, m events.Message) Container {
	at := time.Unix(0, m.TimeNano)
	action := string(m.Action)
	switch {
	case action == "start":
		c.State, c.StartedAt, c.Probe = "running", at, ""
		if c.Health != "" {
			c.Health = "starting"
		}
	case action == "die":
		c.State, c.FinishedAt = "exited", at
		c.ExitCode, _ = strconv.Atoi(m.Actor.Attributes["exitCode"])
	case action == "pause":
		c.State = "paused"
	case action == "unpause":
		c.State = "running"
	case strings.HasPrefix(action, "health_status"):
		c.Health = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(action, "health_status"), ":"))
	default:
		return c
	}
	c.Status = statusWord(c.State, c.Health)
	return c
}

func (o *Observer) update(f func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f()
	o.version++
	close(o.changed)
	o.changed = make(chan struct{})
}

// Snapshot returns the containers, the last engine error ("" when following), a version that
// changes with every update, and a channel closed at the next update.
func (o *Observer) Snapshot() (cs []Container, engineErr string, version int, next <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	cs = make([]Container, 0, len(o.containers))
	for _, c := range o.containers {
		cs = append(cs, c)
	}
	return cs, o.err, o.version, o.changed
}

// waitListed returns once the containers have been listed (or the engine's error is known), or
// when ctx ends; the page then shows what it has.
func (o *Observer) waitListed(ctx context.Context) {
	for {
		_, _, v, next := o.Snapshot()
		if v > 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-next:
		}
	}
}

// lastStart is the latest start time among a service's containers (zero when none started).
func (o *Observer) lastStart(service string) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	var t time.Time
	for _, c := range o.containers {
		if c.Service == service && !c.OneOff && c.StartedAt.After(t) {
			t = c.StartedAt
		}
	}
	return t
}

// waitStart waits until a container of service starts after t, or ctx ends.
func (o *Observer) waitStart(ctx context.Context, service string, t time.Time) {
	for {
		_, _, _, next := o.Snapshot()
		if o.lastStart(service).After(t) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-next:
		}
	}
}
