package stack

import (
	"context"
	"fmt"
	"sort"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/mlstack/mlstack/internal/graph"
	"github.com/mlstack/mlstack/internal/labels"
)

// DownOptions are `mlstack down`'s choices.
type DownOptions struct {
	Volumes       bool
	RemoveOrphans bool
	StopTimeout   *int
	// Rmi removes images after the containers: "local" (built for the project, no image: tag) or "all".
	Rmi string
}

// Down stops and removes the project's containers (dependents first), its networks, and with
// Volumes its named volumes. Only resources carrying this project's label are touched.
func (s *Stack) Down(ctx context.Context, o DownOptions) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	f := filters.NewArgs(filters.Arg("label", labels.ProjectFilter(s.Name())))
	cs, err := s.Eng.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return fmt.Errorf("list containers of project %q: %w", s.Name(), err)
	}
	known := s.Project.All
	byService := map[string][]container.Summary{}
	for _, c := range cs {
		svc := c.Labels[labels.Service]
		if _, ok := known[svc]; !ok && len(known) > 0 && !o.RemoveOrphans && c.Labels[labels.OneOff] != "True" {
			s.UI.Warn("found orphan container %s of service %q, which the project no longer has; `mlstack down --remove-orphans` removes it", name(c), svc)
			continue
		}
		byService[svc] = append(byService[svc], c)
	}
	names := sortedKeys(byService)
	remove := func(ctx context.Context, svc string) error {
		return parallel(ctx, ids(byService[svc]), func(ctx context.Context, id string) error {
			for _, c := range byService[svc] {
				if c.ID == id {
					return s.removeContainer(ctx, id, name(c), o.StopTimeout)
				}
			}
			return nil
		})
	}
	// Dependents stop before what they depend on; services outside the graph stop in parallel.
	inGraph := map[string]bool{}
	g, gerr := graph.New(known)
	if gerr == nil {
		for _, n := range names {
			if _, ok := known[n]; ok {
				inGraph[n] = true
			}
		}
	}
	var graphNames, rest []string
	for _, n := range names {
		if inGraph[n] {
			graphNames = append(graphNames, n)
		} else {
			rest = append(rest, n)
		}
	}
	if len(graphNames) > 0 {
		if err := g.Walk(ctx, graphNames, true, remove); err != nil {
			return err
		}
	}
	if err := parallel(ctx, rest, remove); err != nil {
		return err
	}
	if err := s.removeImages(ctx, o.Rmi, cs); err != nil {
		return err
	}

	nets, err := s.Eng.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return fmt.Errorf("list networks of project %q: %w", s.Name(), err)
	}
	sort.Slice(nets, func(i, j int) bool { return nets[i].Name < nets[j].Name })
	for _, n := range nets {
		if err := s.Eng.NetworkRemove(ctx, n.ID); err != nil && !isNotFound(err) {
			return fmt.Errorf("remove network %s: %w", n.Name, err)
		}
		s.UI.Status("Network "+n.Name, "Removed")
	}
	if o.Volumes {
		vols, err := s.Eng.VolumeList(ctx, volume.ListOptions{Filters: f})
		if err != nil {
			return fmt.Errorf("list volumes of project %q: %w", s.Name(), err)
		}
		for _, v := range vols.Volumes {
			if err := s.Eng.VolumeRemove(ctx, v.Name, false); err != nil && !isNotFound(err) {
				return fmt.Errorf("remove volume %s: %w", v.Name, err)
			}
			s.UI.Status("Volume "+v.Name, "Removed")
		}
	}
	return nil
}

func ids(cs []container.Summary) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}
