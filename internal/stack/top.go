package stack

import (
	"context"
	"fmt"
)

// TopOptions are `mlstack top`'s choices.
type TopOptions struct {
	Services []string
}

// Top prints the processes of each running service container, one table per container, as compose
// does.
func (s *Stack) Top(ctx context.Context, o TopOptions) error {
	w := s.UI.Out
	if err := s.checkKnown(o.Services); err != nil {
		return err
	}
	cs, err := s.containers(ctx, false, false, o.Services...)
	if err != nil {
		return err
	}
	for i, c := range cs {
		top, err := s.api().ContainerTop(ctx, c.ID, nil)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return fmt.Errorf("top of container %s: %w", name(c), err)
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, name(c))
		rows := append([][]string{top.Titles}, top.Processes...)
		s.UI.Table(rows)
	}
	return nil
}
