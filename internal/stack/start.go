package stack

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/labels"
)

// StartOptions are `mlstack start`'s choices.
type StartOptions struct {
	Services []string
	// Wait blocks until the started services are running and healthy.
	Wait bool
}

// Start starts the project's existing service containers in health order (each once its
// dependencies' conditions hold), through up's machinery with nothing created or recreated.
func (s *Stack) Start(ctx context.Context, o StartOptions) error {
	if err := s.Project.CheckServices(o.Services); err != nil {
		return err
	}
	cs, err := s.containers(ctx, true, false, o.Services...)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range o.Services {
		want[n] = true
	}
	images := map[string]string{}
	scale := map[string]int{}
	for _, c := range cs {
		svc := c.Labels[labels.Service]
		if _, ok := s.Project.Services[svc]; !ok {
			continue // an orphan or a disabled profile's service: not ours to start
		}
		images[svc] = c.ImageID
		if n := number(c); n > scale[svc] {
			scale[svc] = n
		}
	}
	for _, n := range o.Services {
		if _, ok := images[n]; !ok {
			return fmt.Errorf("service %q has no container to start; run `mlstack up %s` to create it", n, n)
		}
	}
	if len(images) == 0 {
		return fmt.Errorf("project %q has no container to start; run `mlstack up` to create them", s.Name())
	}
	return s.Up(ctx, UpOptions{
		Services:   slices.Sorted(maps.Keys(images)),
		NoDeps:     true,
		NoRecreate: true,
		Detach:     true,
		Wait:       o.Wait,
		Scale:      scale,
		Images: func(_ context.Context, svc types.ServiceConfig) (string, error) {
			return images[svc.Name], nil
		},
	})
}
