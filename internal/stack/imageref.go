package stack

import (
	"context"
	"fmt"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/progress"
)

// DefaultImage is the resolver up uses when UpOptions.Images is nil: the local image, pulled when
// missing (svc.PullPolicy decides). Resolvers that build call it for services without build:.
func (s *Stack) DefaultImage(ctx context.Context, svc types.ServiceConfig) (string, error) {
	return s.defaultImage(ctx, svc)
}

// defaultImage uses a local image, pulling it when missing. Services sharing an image (and pull
// policy) are resolved once per command.
func (s *Stack) defaultImage(ctx context.Context, svc types.ServiceConfig) (string, error) {
	ref := svc.Image
	if ref == "" {
		ref = s.Name() + "-" + svc.Name
	}
	return s.images.do(ref+"\x00"+svc.PullPolicy, func() (string, error) { return s.resolveImage(ctx, svc, ref) })
}

func (s *Stack) resolveImage(ctx context.Context, svc types.ServiceConfig, ref string) (string, error) {
	policy, _, err := svc.GetPullPolicy()
	if err != nil {
		return "", fmt.Errorf("service %q: pull_policy: %w", svc.Name, err)
	}
	if policy != types.PullPolicyAlways {
		in, err := s.api().ImageInspect(ctx, ref)
		if err == nil {
			return in.ID, nil
		}
		if !isNotFound(err) {
			return "", fmt.Errorf("service %q: inspect image %s: %w", svc.Name, ref, err)
		}
	}
	if svc.Image == "" || policy == types.PullPolicyBuild {
		return "", fmt.Errorf("service %q has no image %s built yet: run `mlstack build %s`", svc.Name, ref, svc.Name)
	}
	if policy == types.PullPolicyNever {
		return "", fmt.Errorf("image %s for service %q is not available locally and pull_policy is never", ref, svc.Name)
	}
	if err := s.Pull(ctx, svc.Name, ref); err != nil {
		return "", err
	}
	in, err := s.api().ImageInspect(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("service %q: inspect image %s after pull: %w", svc.Name, ref, err)
	}
	return in.ID, nil
}

// Pull pulls one image, reading the engine's progress stream for its verdict.
func (s *Stack) Pull(ctx context.Context, service, ref string) error {
	fail := func(err error) error {
		return fmt.Errorf("image %s for service %q is not available locally and could not be pulled: %w", ref, service, err)
	}
	s.UI.Info("Pulling %s for service %q", ref, service)
	s.emit(service, progress.Pulling, ref)
	if err := s.api().Pull(ctx, ref); err != nil {
		return fail(err)
	}
	s.UI.Status("Image "+ref, "Pulled")
	s.emit(service, progress.Pulled, ref)
	return nil
}
