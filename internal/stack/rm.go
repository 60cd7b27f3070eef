package stack

import (
	"context"
	"errors"
	"fmt"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/labels"
)

// RmOptions are `mlstack rm`'s choices.
type RmOptions struct {
	Services []string
	// Stop stops running containers first; without it only stopped containers are removed.
	Stop bool
	// Volumes removes the containers' anonymous volumes too.
	Volumes bool
	// Timeout is the stop grace period for Stop.
	Timeout *int
	// Confirm asks the user before anything is removed; nil removes without asking (-f).
	Confirm func(names []string) (bool, error)
}

// ErrNotConfirmed is returned when the user declined (or could not be asked) to remove containers.
var ErrNotConfirmed = errors.New("nothing removed")

// Rm removes the project's stopped service containers (with Stop, running ones after stopping them).
func (s *Stack) Rm(ctx context.Context, o RmOptions) error {
	if err := s.checkKnown(o.Services); err != nil {
		return err
	}
	if o.Stop {
		if err := s.Stop(ctx, StopOptions{Services: o.Services, Timeout: o.Timeout}); err != nil {
			return err
		}
	}
	cs, err := s.containers(ctx, true, false, o.Services...)
	if err != nil {
		return err
	}
	var gone []container.Summary
	for _, c := range cs {
		if c.State != "running" && c.State != "restarting" && c.State != "paused" {
			gone = append(gone, c)
		}
	}
	if len(gone) == 0 {
		s.UI.Info("No stopped containers")
		return nil
	}
	if o.Confirm != nil {
		names := make([]string, len(gone))
		for i, c := range gone {
			names[i] = name(c)
		}
		ok, err := o.Confirm(names)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotConfirmed
		}
	}
	return parallel(ctx, ids(gone), func(ctx context.Context, id string) error {
		c := byID(gone, id)
		if err := s.api().ContainerRemove(ctx, id, container.RemoveOptions{RemoveVolumes: o.Volumes}); err != nil && !isNotFound(err) {
			return fmt.Errorf("remove service %q container %s: %w", c.Labels[labels.Service], name(c), err)
		}
		s.UI.Status("Container "+name(c), "Removed")
		return nil
	})
}
