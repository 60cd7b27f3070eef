// Package graph is the services' dependency graph: validation (unknown services, cycles named in
// order, health conditions without healthchecks) and a parallel walk that runs each node the moment
// its own dependencies are done.
package graph

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"
)

// Conditions of depends_on, as the compose spec names them.
const (
	Started   = types.ServiceConditionStarted
	Healthy   = types.ServiceConditionHealthy
	Completed = types.ServiceConditionCompletedSuccessfully
)

// Edge is one depends_on entry.
type Edge struct {
	To        string // the dependency
	Condition string
	Required  bool
	Restart   bool
}

// Graph holds services and their dependencies.
type Graph struct {
	nodes map[string][]Edge
}

// New builds the graph of the given services. A dependency on a service outside the set is dropped
// when it is `required: false`, and is an error otherwise.
func New(services types.Services) (*Graph, error) {
	g := &Graph{nodes: map[string][]Edge{}}
	for _, name := range sortedNames(services) {
		s := services[name]
		g.nodes[name] = nil
		for _, dep := range sortedDeps(s.DependsOn) {
			d := s.DependsOn[dep]
			if _, ok := services[dep]; !ok {
				if !d.Required {
					continue
				}
				return nil, fmt.Errorf("service %q: depends_on %q: no such service is enabled (known: %s)", name, dep, strings.Join(sortedNames(services), ", "))
			}
			cond := d.Condition
			if cond == "" {
				cond = Started
			}
			g.nodes[name] = append(g.nodes[name], Edge{To: dep, Condition: cond, Required: d.Required, Restart: d.Restart})
		}
	}
	if c := g.Cycle(); c != nil {
		return nil, fmt.Errorf("dependency cycle: %s", strings.Join(append(c, c[0]), " -> "))
	}
	return g, nil
}

// Validate checks what must hold before anything is created: every service_healthy dependency has a
// healthcheck.
func Validate(services types.Services) error {
	for _, name := range sortedNames(services) {
		s := services[name]
		for _, dep := range sortedDeps(s.DependsOn) {
			d := s.DependsOn[dep]
			target, ok := services[dep]
			if !ok || d.Condition != Healthy {
				continue
			}
			if target.HealthCheck == nil || target.HealthCheck.Disable || len(target.HealthCheck.Test) == 0 {
				return fmt.Errorf("service %q: depends_on %q with condition service_healthy, but %q has no healthcheck (add one under services.%s.healthcheck, or use condition: service_started)", name, dep, dep, dep)
			}
		}
	}
	return nil
}

// Nodes returns the service names, sorted.
func (g *Graph) Nodes() []string {
	out := make([]string, 0, len(g.nodes))
	for n := range g.nodes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Deps returns a node's dependency edges.
func (g *Graph) Deps(name string) []Edge { return g.nodes[name] }

// Dependents returns the nodes that depend directly on name, sorted.
func (g *Graph) Dependents(name string) []string {
	var out []string
	for n, edges := range g.nodes {
		for _, e := range edges {
			if e.To == name {
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Closure returns names plus everything they depend on, transitively.
func (g *Graph) Closure(names []string) []string {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, e := range g.nodes[n] {
			visit(e.To)
		}
	}
	for _, n := range names {
		visit(n)
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Order returns a topological order (dependencies first), ties broken by name.
func (g *Graph) Order() []string {
	done := map[string]bool{}
	var out []string
	var visit func(string)
	visit = func(n string) {
		if done[n] {
			return
		}
		done[n] = true
		for _, e := range g.nodes[n] {
			visit(e.To)
		}
		out = append(out, n)
	}
	for _, n := range g.Nodes() {
		visit(n)
	}
	return out
}

// Cycle returns the members of one dependency cycle in dependency order, or nil. The cycle is
// rotated to start at its alphabetically first member so the message is stable.
func (g *Graph) Cycle() []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var found []string
	var visit func(string) bool
	visit = func(n string) bool {
		color[n] = grey
		stack = append(stack, n)
		for _, e := range g.nodes[n] {
			switch color[e.To] {
			case grey:
				for i, s := range stack {
					if s == e.To {
						found = append([]string(nil), stack[i:]...)
						return true
					}
				}
			case white:
				if visit(e.To) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	for _, n := range g.Nodes() {
		if color[n] == white && visit(n) {
			break
		}
	}
	if found == nil {
		return nil
	}
	min := 0
	for i, s := range found {
		if s < found[min] {
			min = i
		}
	}
	return append(found[min:], found[:min]...)
}

// Walk calls fn for every node in names (and only those), each as soon as fn has returned nil for all
// of its dependencies within names, concurrently across independent branches. The first error
// cancels the walk; nodes not yet begun are skipped. reverse walks dependents first (for stop).
func (g *Graph) Walk(ctx context.Context, names []string, reverse bool, fn func(ctx context.Context, name string) error) error {
	in := map[string]bool{}
	for _, n := range names {
		in[n] = true
	}
	// waits[n] lists the nodes n must wait for.
	waits := map[string][]string{}
	for n := range in {
		if !reverse {
			for _, e := range g.nodes[n] {
				if in[e.To] {
					waits[n] = append(waits[n], e.To)
				}
			}
		} else {
			for _, d := range g.Dependents(n) {
				if in[d] {
					waits[n] = append(waits[n], d)
				}
			}
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := map[string]chan struct{}{}
	for n := range in {
		done[n] = make(chan struct{})
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for n := range in {
		wg.Add(1)
		go func(n string) {
			defer wg.Done()
			for _, w := range waits[n] {
				select {
				case <-done[w]:
				case <-ctx.Done():
					return
				}
			}
			if ctx.Err() != nil {
				return
			}
			if err := fn(ctx, n); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				cancel(err)
				return
			}
			close(done[n])
		}(n)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return context.Cause(ctx)
}

func sortedNames(s types.Services) []string {
	out := make([]string, 0, len(s))
	for n := range s {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func sortedDeps(d types.DependsOnConfig) []string {
	out := make([]string, 0, len(d))
	for n := range d {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
