package stack

import (
	"context"
	"fmt"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/graph"
	"github.com/mlstack/mlstack/internal/progress"
)

// emit records one service's transition on the optional progress sink (Stack.Progress).
func (s *Stack) emit(service string, state progress.State, detail string) {
	if s.Progress != nil {
		s.Progress.Emit(progress.ServiceState{Service: service, State: state, Detail: detail, Time: time.Now()})
	}
}

// emitExit records that a service's container exited with code.
func (s *Stack) emitExit(service string, code int) {
	if s.Progress != nil {
		s.Progress.Emit(progress.ServiceState{Service: service, State: progress.Exited, ExitCode: code, Time: time.Now()})
	}
}

// endProgress tells a sink that shows a phase (the terminal's live view) that it is over, so the
// output that follows (an attached up's logs, a job's output) gets the terminal.
func (s *Stack) endProgress() {
	if e, ok := s.Progress.(progress.Ender); ok {
		e.End()
	}
}

// waitDetail names what a dependent waits for: "feature-store to be healthy", "migrate to complete".
func waitDetail(dep, condition string) string {
	switch condition {
	case graph.Healthy:
		return dep + " to be healthy"
	case graph.Completed:
		return dep + " to complete"
	}
	return dep + " to start"
}

// phaseKey marks a context whose caller owns the progress phase (a job's dependency phase spans
// an up and the wait for the job's own conditions), so the up inside it does not end the phase.
type phaseKey struct{}

func inPhase(ctx context.Context) context.Context { return context.WithValue(ctx, phaseKey{}, true) }

// endPhase ends the progress phase unless ctx is inside a caller's phase.
func (s *Stack) endPhase(ctx context.Context) {
	if ctx.Value(phaseKey{}) == nil {
		s.endProgress()
	}
}

// graceDetail says how long a stop waits for SIGTERM before it kills: the command's -t, else the
// service's stop_grace_period, else the engine's 10 s.
func graceDetail(timeout *int, svc types.ServiceConfig) string {
	secs := 10
	switch {
	case timeout != nil:
		secs = *timeout
	case svc.StopGracePeriod != nil:
		secs = int(time.Duration(*svc.StopGracePeriod).Seconds())
	}
	return fmt.Sprintf("SIGTERM, killed after a %ds grace period", secs)
}
