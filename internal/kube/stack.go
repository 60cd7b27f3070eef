package kube

import (
	"context"
	"fmt"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/ui"
)

// DefaultWaitTimeout bounds waits on a cluster when --wait-timeout is not given: pods may wait for a
// node pool to scale up, but not forever.
const DefaultWaitTimeout = 10 * time.Minute

// Stack is a compose project on one namespace of a cluster.
type Stack struct {
	Cluster   *Cluster
	Project   *types.Project
	Namespace string
	UI        *ui.Streams
}

// NewStack picks the namespace: the flag, else the kube context's, else the project's name.
func NewStack(c *Cluster, p *types.Project, namespace string, u *ui.Streams) *Stack {
	ns := namespace
	if ns == "" {
		ns = c.Namespace
	}
	if ns == "" {
		ns = Name(p.Name)
	}
	return &Stack{Cluster: c, Project: p, Namespace: ns, UI: u}
}

// Selector selects everything mlstack made for the project.
func (s *Stack) Selector() string { return ProjectSelector(s.Project.Name) }

// bounded applies the wait timeout (DefaultWaitTimeout when d is zero) with a cause naming what.
func bounded(ctx context.Context, d time.Duration, what string) (context.Context, context.CancelFunc) {
	if d <= 0 {
		d = DefaultWaitTimeout
	}
	return context.WithTimeoutCause(ctx, d, fmt.Errorf("timed out after %s waiting for %s (--wait-timeout)", d, what))
}
