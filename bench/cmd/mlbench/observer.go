package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/labels"
)

// ctr is what the observer knows about one container of the project.
type ctr struct {
	service   string
	oneOff    bool
	running   bool
	exited    bool
	exitCode  string
	health    string
	destroyed bool
	// healthyAt and exitedAt are the engine times of the first health_status: healthy and of the
	// first die with its exit code, for the per-hop trace (hops.go).
	healthyAt, exitedAt time.Time
	exitedCode          string
}

// observer watches one project's containers and networks through the engine's event stream, the
// same way for every tool, and says when a state was reached by the engine's own event timestamps.
type observer struct {
	mu       sync.Mutex
	ctrs     map[string]*ctr
	networks map[string]bool // name -> still present
	created  int             // containers created since the observer began
	creates  []time.Time     // engine times of those creates
	starts   []time.Time     // engine times of container starts since the observer began
	// createdAt and startedAt are each container's create and first start, for the trace of how
	// long containers sat between the two.
	createdAt, startedAt map[string]time.Time
	last                 time.Time // timestamp of the latest event applied
	changed              chan struct{}
	err                  error
}

// observe subscribes to the project's container events and to network events, then lists what
// already exists, so nothing falls between the subscription and the first look.
func observe(ctx context.Context, eng *engine.Client, project string) (*observer, error) {
	o := &observer{ctrs: map[string]*ctr{}, networks: map[string]bool{}, changed: make(chan struct{}), createdAt: map[string]time.Time{}, startedAt: map[string]time.Time{}}
	cev, cerr := eng.ContainerEvents(ctx, labels.ProjectFilter(project))
	// Network events carry no labels on API 1.41; they are matched by the names listed below.
	nev, nerr := eng.Events(ctx, events.ListOptions{Filters: filters.NewArgs(filters.Arg("type", string(events.NetworkEventType)))})
	f := filters.NewArgs(filters.Arg("label", labels.ProjectFilter(project)))
	cs, err := eng.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list containers of %s: %w", project, err)
	}
	ns, err := eng.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list networks of %s: %w", project, err)
	}
	for _, c := range cs {
		in, err := eng.ContainerInspect(ctx, c.ID)
		if err != nil {
			continue
		}
		st := &ctr{service: c.Labels[labels.Service], oneOff: c.Labels[labels.OneOff] == "True", running: in.State.Running}
		if in.State.Health != nil {
			st.health = in.State.Health.Status
		}
		if in.State.Status == "exited" {
			st.exited, st.exitCode = true, fmt.Sprint(in.State.ExitCode)
		}
		o.ctrs[c.ID] = st
	}
	for _, n := range ns {
		o.networks[n.Name] = true
	}
	// Networks created later (by a cold up) are named project_*; compose and mlstack agree on that.
	prefix := project + "_"
	go func() {
		for {
			select {
			case m := <-cev:
				o.apply(m, prefix)
			case m := <-nev:
				o.apply(m, prefix)
			case err := <-cerr:
				o.fail(err)
				return
			case err := <-nerr:
				o.fail(err)
				return
			}
		}
	}()
	return o, nil
}

func (o *observer) fail(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil {
		o.err = fmt.Errorf("event stream: %w", err)
	}
	close(o.changed)
	o.changed = make(chan struct{})
}

func (o *observer) apply(m events.Message, netPrefix string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	at := time.Unix(0, m.TimeNano)
	switch m.Type {
	case events.NetworkEventType:
		name := m.Actor.Attributes["name"]
		if !strings.HasPrefix(name, netPrefix) {
			return
		}
		switch m.Action {
		case events.ActionCreate:
			o.networks[name] = true
		case events.ActionDestroy:
			o.networks[name] = false
		default:
			return
		}
	case events.ContainerEventType:
		c := o.ctrs[m.Actor.ID]
		if c == nil {
			c = &ctr{service: m.Actor.Attributes[labels.Service], oneOff: m.Actor.Attributes[labels.OneOff] == "True"}
			o.ctrs[m.Actor.ID] = c
		}
		switch a := string(m.Action); {
		case a == string(events.ActionCreate):
			o.created++
			o.creates = append(o.creates, at)
			o.createdAt[m.Actor.ID] = at
		case a == string(events.ActionStart):
			c.running, c.exited, c.health = true, false, "starting"
			o.starts = append(o.starts, at)
			if _, ok := o.startedAt[m.Actor.ID]; !ok {
				o.startedAt[m.Actor.ID] = at
			}
		case a == string(events.ActionDie):
			c.running, c.exited, c.exitCode = false, true, m.Actor.Attributes["exitCode"]
			if c.exitedAt.IsZero() {
				c.exitedAt, c.exitedCode = at, c.exitCode
			}
		case a == string(events.ActionDestroy):
			c.running, c.destroyed = false, true
		case strings.HasPrefix(a, "health_status:"):
			c.health = strings.TrimSpace(strings.TrimPrefix(a, "health_status:"))
			if c.health == "healthy" && c.healthyAt.IsZero() {
				c.healthyAt = at
			}
		default:
			return
		}
	default:
		return
	}
	o.last = at
	close(o.changed)
	o.changed = make(chan struct{})
}

// wait blocks until cond holds over the observed state and returns the engine timestamp of the event
// that made it hold (or now, when it already held).
func (o *observer) wait(ctx context.Context, cond func(o *observer) bool) (time.Time, error) {
	for {
		o.mu.Lock()
		if o.err != nil {
			o.mu.Unlock()
			return time.Time{}, o.err
		}
		ok, last, ch := cond(o), o.last, o.changed
		o.mu.Unlock()
		if ok {
			if last.IsZero() {
				last = time.Now()
			}
			return last, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// span returns the first container create and the last container start at or after since (zero
// times when there were none): the engine-side edges of one run.
func (o *observer) span(since time.Time) (firstCreate, lastStart time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, t := range o.creates {
		if !t.Before(since) && (firstCreate.IsZero() || t.Before(firstCreate)) {
			firstCreate = t
		}
	}
	for _, t := range o.starts {
		if !t.Before(since) && t.After(lastStart) {
			lastStart = t
		}
	}
	return firstCreate, lastStart
}

// trace describes the containers created at or after since: the median time from a container's
// create to its first start, and how long, between the first create and the last start, no
// container was between the two. Idle time is time the engine had no container of the project to
// create or start: the tool's own work, or waits for health that the dependencies impose.
func (o *observer) trace(since time.Time) (createToStart, idle time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	type span struct{ from, to time.Time }
	var spans []span
	var lat []time.Duration
	for id, c := range o.createdAt {
		s, ok := o.startedAt[id]
		if c.Before(since) || !ok || s.Before(c) {
			continue
		}
		spans = append(spans, span{c, s})
		lat = append(lat, s.Sub(c))
	}
	if len(spans) == 0 {
		return 0, 0
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from.Before(spans[j].from) })
	end := spans[0].to
	for _, sp := range spans[1:] {
		if sp.from.After(end) {
			idle += sp.from.Sub(end)
		}
		if sp.to.After(end) {
			end = sp.to
		}
	}
	return median(lat), idle
}

// allUp holds when every service has a service container in its expected state: healthy, running
// or exited0.
func allUp(want map[string]string) func(*observer) bool {
	return func(o *observer) bool {
		for svc, state := range want {
			ok := false
			for _, c := range o.ctrs {
				if c.service != svc || c.oneOff || c.destroyed {
					continue
				}
				switch state {
				case "healthy":
					ok = c.running && c.health == "healthy"
				case "running":
					ok = c.running
				case "exited0":
					ok = c.exited && c.exitCode == "0"
				}
				if ok {
					break
				}
			}
			if !ok {
				return false
			}
		}
		return true
	}
}

// allGone holds when every container and network of the project seen so far is removed.
func allGone(o *observer) bool {
	for _, c := range o.ctrs {
		if !c.destroyed {
			return false
		}
	}
	for _, present := range o.networks {
		if present {
			return false
		}
	}
	return true
}

// jobExited holds when a one-off container of the service has exited 0.
func jobExited(svc string) func(*observer) bool {
	return func(o *observer) bool {
		for _, c := range o.ctrs {
			if c.service == svc && c.oneOff && c.exited && c.exitCode == "0" {
				return true
			}
		}
		return false
	}
}

// summary describes the observed state, for error messages.
func (o *observer) summary() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var parts []string
	for _, c := range o.ctrs {
		s := c.service + ":"
		switch {
		case c.destroyed:
			s += "removed"
		case c.running:
			s += "running/" + c.health
		case c.exited:
			s += "exited " + c.exitCode
		default:
			s += "created"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}
