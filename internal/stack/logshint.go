package stack

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/labels"
)

// missingLogs explains a named service that has no container of its own to show logs for: a job
// that only runs as one-off containers (train, run) keeps its output in the run records; any other
// service has not been started yet. It returns an error when no named service has a container.
func (s *Stack) missingLogs(ctx context.Context, services []string, cs []container.Summary) error {
	have := map[string]bool{}
	for _, c := range cs {
		have[c.Labels[labels.Service]] = true
	}
	var first error
	for _, n := range services {
		if have[n] {
			continue
		}
		var err error
		oneoffs, _ := s.containers(ctx, true, true, n)
		if len(oneoffs) > 0 || len(s.Project.All[n].Profiles) > 0 {
			err = fmt.Errorf("service %q has no container of its own: it runs as one-off jobs (`mlstack train`, `mlstack run %s`), whose output is kept with each run: `mlstack runs show latest`", n, n)
		} else {
			err = fmt.Errorf("service %q has no container yet: `mlstack up -d %s` starts it", n, n)
		}
		if first == nil {
			first = err
		}
		if len(cs) > 0 {
			s.UI.Notice("%v", err)
		}
	}
	if len(cs) == 0 {
		return first
	}
	return nil
}
