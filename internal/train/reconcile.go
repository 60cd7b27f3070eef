package train

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/runs"
)

// Containers is what reconciling run records needs of the engine.
type Containers interface {
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
	ContainerList(ctx context.Context, o container.ListOptions) ([]container.Summary, error)
	ContainerRemove(ctx context.Context, id string, o container.RemoveOptions) error
}

// Reconcile settles the records that say "running" although the mlstack process that ran them is
// gone (killed, or its terminal closed): an exited container gives the record its exit code and end
// time, a vanished one marks the run lost. It returns the IDs of the records it changed.
func Reconcile(ctx context.Context, eng Containers, store runs.Store) ([]string, error) {
	open, err := store.Unfinished()
	if err != nil {
		return nil, err
	}
	var changed []string
	var errs []error
	for _, r := range open {
		// A run on a cluster has no container on this engine to judge it by.
		if r.OwnerAlive() || r.Cluster != "" {
			continue
		}
		c, err := containerState(ctx, eng, r.ContainerName)
		if err != nil {
			errs = append(errs, fmt.Errorf("run %s: %w", r.ID, err))
			continue
		}
		if !r.Reconcile(c) {
			continue
		}
		if err := store.Save(&r); err != nil {
			errs = append(errs, err)
			continue
		}
		changed = append(changed, r.ID)
	}
	return changed, errors.Join(errs...)
}

func containerState(ctx context.Context, eng Containers, name string) (runs.Container, error) {
	if name == "" {
		return runs.Container{}, nil
	}
	in, err := eng.ContainerInspect(ctx, name)
	if engine.IsNotFound(err) {
		return runs.Container{}, nil
	}
	if err != nil {
		return runs.Container{}, fmt.Errorf("inspect container %s: %w", name, err)
	}
	c := runs.Container{Exists: true}
	if in.State != nil {
		c.Running = in.State.Running || in.State.Restarting || in.State.Status == "created"
		c.ExitCode = in.State.ExitCode
		c.FinishedAt, _ = time.Parse(time.RFC3339Nano, in.State.FinishedAt)
	}
	return c, nil
}

// RemoveFinished removes the project's exited one-off containers whose run record is finished or
// lost: what a killed mlstack left behind. A running job (of this or another terminal) and a
// container kept on purpose (`run --rm=false`, which has no run record) are never touched. It
// returns the removed containers' names.
func RemoveFinished(ctx context.Context, eng Containers, store runs.Store, project string) ([]string, error) {
	cs, err := eng.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(
		filters.Arg("label", labels.ProjectFilter(project)),
		filters.Arg("label", labels.OneOff+"=True"),
		filters.Arg("status", "exited"),
	)})
	if err != nil {
		return nil, fmt.Errorf("list one-off containers of project %q: %w", project, err)
	}
	if len(cs) == 0 {
		return nil, nil
	}
	done, err := store.EndedContainers()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, c := range cs {
		if len(c.Names) == 0 {
			continue
		}
		name := strings.TrimPrefix(c.Names[0], "/")
		if !done[name] {
			continue
		}
		if err := eng.ContainerRemove(ctx, c.ID, container.RemoveOptions{}); err != nil && !engine.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove finished job container %s: %w", name, err))
			continue
		}
		removed = append(removed, name)
	}
	return removed, errors.Join(errs...)
}
