package stack

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/labels"
)

// RestartOptions are `mlstack restart`'s choices.
type RestartOptions struct {
	Services []string
	// Timeout overrides each container's grace period (seconds) before SIGKILL.
	Timeout *int
}

// Restart restarts the project's service containers, running or stopped, dependencies first, as
// compose does. It does not recreate: changed configuration needs `up`.
func (s *Stack) Restart(ctx context.Context, o RestartOptions) error {
	if err := s.checkKnown(o.Services); err != nil {
		return err
	}
	cs, err := s.containers(ctx, true, false, o.Services...)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		return fmt.Errorf("no container of project %q to restart; run `mlstack up` first", s.Name())
	}
	return s.walkContainers(ctx, cs, false, func(ctx context.Context, c container.Summary) error {
		if err := s.api().ContainerRestart(ctx, c.ID, container.StopOptions{Timeout: o.Timeout}); err != nil {
			return fmt.Errorf("restart service %q (container %s): %w", c.Labels[labels.Service], name(c), explainStartError(err))
		}
		s.UI.Status("Container "+name(c), "Restarted")
		return nil
	})
}
