package stack

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/progress"
)

// PullOptions are `mlstack pull`'s choices.
type PullOptions struct {
	Services []string
	// IgnoreFailures reports failed pulls as warnings and succeeds.
	IgnoreFailures bool
	// IgnoreBuildable skips services that have a build section.
	IgnoreBuildable bool
	// Quiet prints nothing but errors.
	Quiet bool
}

// PullAll pulls the images of the project's services (all of them concurrently), honouring
// pull_policy as compose does: never and build are skipped, missing skips images already present.
// A service that can be built only warns when its pull fails.
func (s *Stack) PullAll(ctx context.Context, o PullOptions) error {
	if err := s.Project.CheckServices(o.Services); err != nil {
		return err
	}
	names := o.Services
	if len(names) == 0 {
		names = s.Project.ServiceNames()
	}
	var mu sync.Mutex
	var failed []string
	info := func(format string, args ...any) {
		if !o.Quiet {
			s.UI.Info(format, args...)
		}
	}
	err := parallel(ctx, names, func(ctx context.Context, n string) error {
		svc := s.Project.Services[n]
		if skip := pullSkip(ctx, s, svc, o); skip != "" {
			info("Service %s: skipped, %s", n, skip)
			return nil
		}
		if !o.Quiet {
			s.UI.Info("Pulling %s for service %q", svc.Image, n)
		}
		s.emit(n, progress.Pulling, svc.Image)
		if err := s.api().Pull(ctx, svc.Image); err != nil {
			err = fmt.Errorf("pull image %s for service %q: %w", svc.Image, n, err)
			s.emit(n, progress.Failed, err.Error())
			if o.IgnoreFailures || svc.Build != nil {
				s.UI.Warn("%v", err)
				return nil
			}
			mu.Lock()
			failed = append(failed, err.Error())
			mu.Unlock()
			return nil
		}
		if !o.Quiet {
			s.UI.Status("Image "+svc.Image, "Pulled")
		}
		s.emit(n, progress.Pulled, svc.Image)
		return nil
	})
	if err != nil {
		return err
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(sorted(failed), "\n"))
	}
	return nil
}

// pullSkip says why a service's image is not pulled, or "".
func pullSkip(ctx context.Context, s *Stack, svc types.ServiceConfig, o PullOptions) string {
	if svc.Image == "" {
		return "no image to pull (it is built)"
	}
	if o.IgnoreBuildable && svc.Build != nil {
		return "its image can be built"
	}
	switch svc.PullPolicy {
	case types.PullPolicyNever, types.PullPolicyBuild:
		return "pull_policy is " + svc.PullPolicy
	case types.PullPolicyMissing, types.PullPolicyIfNotPresent:
		if _, err := s.api().ImageInspect(ctx, svc.Image); err == nil {
			return "image already present (pull_policy: missing)"
		}
	}
	return ""
}

func sorted(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return out
}
