package stack

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/labels"
)

// KillOptions are `mlstack kill`'s choices.
type KillOptions struct {
	Services []string
	// Signal is sent to each container's main process (default SIGKILL).
	Signal string
}

// Kill sends a signal to the project's running service containers, all at once.
func (s *Stack) Kill(ctx context.Context, o KillOptions) error {
	if err := s.checkKnown(o.Services); err != nil {
		return err
	}
	sig := o.Signal
	if sig == "" {
		sig = "SIGKILL"
	}
	cs, err := s.containers(ctx, false, false, o.Services...)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		s.UI.Info("No running container to kill")
		return nil
	}
	return parallel(ctx, ids(cs), func(ctx context.Context, id string) error {
		c := byID(cs, id)
		if err := s.api().ContainerKill(ctx, id, sig); err != nil && !isNotFound(err) {
			return fmt.Errorf("kill service %q (container %s) with %s: %w", c.Labels[labels.Service], name(c), sig, err)
		}
		s.UI.Status("Container "+name(c), "Killed")
		return nil
	})
}

func byID(cs []container.Summary, id string) container.Summary {
	for _, c := range cs {
		if c.ID == id {
			return c
		}
	}
	return container.Summary{ID: id}
}
