package stack

import (
	"context"
	"io"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/engine"
)

// earlyProbeEvery is the cadence of mlstack's own health probes while a container is starting. A
// dependent is released on average half of it, plus one exec round trip, after its dependency
// becomes ready, at every healthy hop of the chain. The ticker keeps at most one probe per
// container in flight: on a loaded engine, where an exec takes longer than this, probes run back
// to back and the engine's pace sets the rate, not this constant.
const earlyProbeEvery = 50 * time.Millisecond

// probeEarly runs a service's healthcheck test through exec at a short cadence while the engine still
// says "starting", and marks the container ready for its dependents at the first pass. The engine
// runs its first probe only one full interval after start and needs one pass to say healthy, so a
// pass here means the same thing, earlier. --wait still ends on the engine's own status.
func probeEarly(ctx context.Context, eng Engine, tr *Tracker, id string, hc *types.HealthCheckConfig) {
	cmd := []string(hc.Test)
	switch {
	case len(cmd) == 0:
		return
	case cmd[0] == "CMD":
		cmd = cmd[1:]
	case cmd[0] == "CMD-SHELL":
		cmd = []string{"/bin/sh", "-c", cmd[1]}
	default:
		return
	}
	timeout := 30 * time.Second
	if hc.Timeout != nil {
		timeout = time.Duration(*hc.Timeout)
	}
	tick := time.NewTicker(earlyProbeEvery)
	defer tick.Stop()
	for {
		st := tr.Get(id)
		if st.Health == "healthy" || st.Health == "unhealthy" || st.Exited || st.Removed || ctx.Err() != nil {
			return
		}
		if st.Running {
			select {
			case tr.probes <- struct{}{}:
			case <-ctx.Done():
				return
			}
			code, err := execProbe(ctx, eng, id, cmd, timeout)
			<-tr.probes
			if err != nil {
				return // the image cannot run the probe this way; the engine's status decides
			}
			if code == 0 {
				tr.markProbe(id)
				return
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// execProbe runs a healthcheck command once; 126 and 127 (not runnable) end the probing.
func execProbe(ctx context.Context, eng Engine, id string, cmd []string, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	code, err := eng.Exec(ctx, id, engine.ExecOptions{Cmd: cmd}, nil, nil)
	if err != nil {
		return -1, err
	}
	if code == 126 || code == 127 {
		return code, io.ErrUnexpectedEOF // command not runnable: stop probing
	}
	return code, nil
}
