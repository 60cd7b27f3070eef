package stack

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/graph"
	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/progress"
)

// StopOptions are `mlstack stop`'s choices.
type StopOptions struct {
	Services []string
	// Timeout overrides each container's grace period (seconds) before SIGKILL.
	Timeout *int
}

// Stop stops the project's running service containers, dependents before what they depend on.
func (s *Stack) Stop(ctx context.Context, o StopOptions) error {
	if err := s.checkKnown(o.Services); err != nil {
		return err
	}
	cs, err := s.containers(ctx, false, false, o.Services...)
	if err != nil {
		return err
	}
	return s.walkContainers(ctx, cs, true, func(ctx context.Context, c container.Summary) error {
		svc := c.Labels[labels.Service]
		s.emit(svc, progress.Stopping, graceDetail(o.Timeout, s.Project.All[svc]))
		if err := s.api().ContainerStop(ctx, c.ID, container.StopOptions{Timeout: o.Timeout}); err != nil && !isNotFound(err) {
			return fmt.Errorf("stop service %q (container %s): %w", c.Labels[labels.Service], name(c), err)
		}
		s.emit(svc, progress.Stopped, "")
		s.UI.Status("Container "+name(c), "Stopped")
		return nil
	})
}

// walkContainers calls fn for every container, grouped by service and ordered by the project's
// dependency graph (reverse: dependents first); containers of one service, and of services outside
// the graph (a project known only by name, orphans), go in parallel.
func (s *Stack) walkContainers(ctx context.Context, cs []container.Summary, reverse bool, fn func(context.Context, container.Summary) error) error {
	byService := map[string][]container.Summary{}
	for _, c := range cs {
		svc := c.Labels[labels.Service]
		byService[svc] = append(byService[svc], c)
	}
	each := func(ctx context.Context, svc string) error {
		group := byService[svc]
		return parallel(ctx, ids(group), func(ctx context.Context, id string) error {
			for _, c := range group {
				if c.ID == id {
					return fn(ctx, c)
				}
			}
			return nil
		})
	}
	var inGraph, rest []string
	g, gerr := graph.New(s.Project.Services)
	for _, n := range slices.Sorted(maps.Keys(byService)) {
		if _, ok := s.Project.Services[n]; ok && gerr == nil {
			inGraph = append(inGraph, n)
		} else {
			rest = append(rest, n)
		}
	}
	if len(inGraph) > 0 {
		if err := g.Walk(ctx, inGraph, reverse, each); err != nil {
			return err
		}
	}
	return parallel(ctx, rest, each)
}

// checkKnown refuses service names the project does not have, when a compose file was loaded (a
// project known only by name cannot tell).
func (s *Stack) checkKnown(services []string) error {
	if len(s.Project.All) == 0 {
		return nil
	}
	return s.Project.CheckServices(services)
}
