package stack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/graph"
	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/progress"
)

// UpOptions are `mlstack up`'s choices.
type UpOptions struct {
	Services      []string
	Detach        bool
	Wait          bool
	WaitTimeout   time.Duration
	NoDeps        bool
	ForceRecreate bool
	NoRecreate    bool
	NoStart       bool
	RemoveOrphans bool
	StopTimeout   *int
	// EngineHealth makes dependents wait for the engine's own health status instead of mlstack's
	// early probe (see prober.go).
	EngineHealth bool
	// Scale overrides services' scale.
	Scale map[string]int
	// Images resolves (and builds, where needed) each service's image; nil uses the default that
	// inspects and pulls.
	Images ImageResolver
	// Devices decides a service's GPU requests (the GPU policy); nil drops none and adds none.
	Devices DeviceDecider
	// NoGPU, when set, is shown a failed start of a container that asked for devices; ok true
	// recreates it with reqs (the GPU policy's CPU fallback when detection was wrong).
	NoGPU GPUFallback
	// Kill is closed on a second Ctrl-C during an attached up: stop turns into kill.
	Kill <-chan struct{}
	// NoLogPrefix and Timestamps shape the attached output.
	NoLogPrefix bool
	Timestamps  bool
	// AbortOnExit stops everything when any container exits; ExitCodeFrom names the service whose
	// exit code up returns.
	AbortOnExit  bool
	ExitCodeFrom string
	// Attach limits which services' output an attached up shows (default: all started).
	Attach []string
	// bound, when set, bounds the waits instead of --wait-timeout: a one-off job's dependency
	// phase, whose one deadline covers this up and the job's own conditions after it.
	bound *waitBound
}

// ImageResolver returns the image ID to run for a service, building or pulling as needed.
type ImageResolver func(ctx context.Context, s types.ServiceConfig) (imageID string, err error)

// DeviceDecider returns the DeviceRequests a service's containers get.
type DeviceDecider func(ctx context.Context, s types.ServiceConfig) ([]container.DeviceRequest, error)

// GPUFallback is shown a container start that failed with GPU requests; ok true retries the start
// with reqs, a non-nil err replaces the start error.
type GPUFallback func(ctx context.Context, svc types.ServiceConfig, startErr error) (reqs []container.DeviceRequest, ok bool, err error)

// ErrInterrupted is wrapped by the error of a command that Ctrl-C stopped.
var ErrInterrupted = errors.New("interrupted")

// ServiceExit is up's result when it returns a container's exit code (--exit-code-from,
// --abort-on-container-exit) and that code is not 0.
type ServiceExit struct{ Code int }

func (e *ServiceExit) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// plan is what up decided for one service.
type plan struct {
	svc     types.ServiceConfig
	hash    string
	imageID string
	devices []container.DeviceRequest
	scale   int
}

// hasHealthcheck reports whether the service's containers get a health status from the engine.
func (pl *plan) hasHealthcheck() bool {
	hc := pl.svc.HealthCheck
	return hc != nil && !hc.Disable && len(hc.Test) > 0 && hc.Test[0] != "NONE"
}

// Up converges the project: creates what is missing, recreates what changed, starts each service the
// moment its dependencies' conditions hold, and (attached) streams logs until the containers exit.
func (s *Stack) Up(ctx context.Context, o UpOptions) error {
	p := s.Project
	if err := p.CheckServices(o.Services); err != nil {
		return err
	}
	g, err := graph.New(p.Services)
	if err != nil {
		return fmt.Errorf("%s: %w", p.RelFiles(), err)
	}
	if err := graph.Validate(p.Services); err != nil {
		return fmt.Errorf("%s: %w", p.RelFiles(), err)
	}
	targets := o.Services
	if len(targets) == 0 {
		targets = p.ServiceNames()
	} else if !o.NoDeps {
		targets = g.Closure(targets)
	}
	for _, n := range targets {
		WarnUnsupported(s.UI, p.Services[n])
	}

	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	// What follows an up (watch's lines) gets the terminal, not a live view.
	defer s.endPhase(ctx)

	// Everything that can fail on bad input is checked before the first resource is created. The
	// engine reads that do not depend on each other (images, the project's containers, its networks
	// and volumes) go at once: each is a round trip before the first create, and a loaded engine
	// answers each one late.
	plans := map[string]*plan{}
	resolve := o.Images
	if resolve == nil {
		resolve = s.defaultImage
	}
	var pmu sync.Mutex
	var tr *Tracker
	var existing []container.Summary
	var netsToMake, volsToMake []string
	err = inOrder(
		func() error {
			return parallel(ctx, targets, func(ctx context.Context, n string) error {
				svc := p.Services[n]
				h, err := ConfigHash(svc)
				if err != nil {
					return err
				}
				id, err := resolve(ctx, svc)
				if err != nil {
					return err
				}
				var devs []container.DeviceRequest
				if o.Devices != nil {
					if devs, err = o.Devices(ctx, svc); err != nil {
						return err
					}
				}
				scale := svc.GetScale()
				if v, ok := o.Scale[n]; ok {
					scale = v
				}
				if scale > 1 && svc.ContainerName != "" {
					return fmt.Errorf("service %q: container_name %q is fixed, so the service cannot scale to %d", n, svc.ContainerName, scale)
				}
				pmu.Lock()
				plans[n] = &plan{svc: svc, hash: h, imageID: id, devices: devs, scale: scale}
				pmu.Unlock()
				return nil
			})
		},
		func() (err error) {
			// Subscribe before listing: Track returns once the engine accepted the subscription, so
			// every change after the list arrives as an event and the list itself can seed the tracker.
			tr = Track(ctx, s.api(), s.Name())
			existing, err = s.containers(ctx, true, false)
			return err
		},
		func() (err error) { netsToMake, err = s.checkNetworks(ctx, targets); return err },
		func() (err error) { volsToMake, err = s.checkVolumes(ctx, targets); return err },
	)
	defer tr.Close()
	if err != nil {
		return err
	}
	for _, c := range existing {
		tr.SeedSummary(c)
	}
	byService := map[string][]container.Summary{}
	for _, c := range existing {
		byService[c.Labels[labels.Service]] = append(byService[c.Labels[labels.Service]], c)
	}
	if err := s.preflight(ctx, plans); err != nil {
		return err
	}
	if err := s.checkNamesFree(ctx, plans, byService); err != nil {
		return err
	}
	if err := s.checkPorts(plans, byService, o); err != nil {
		return err
	}
	if err := s.orphans(ctx, byService, o.RemoveOrphans); err != nil {
		return err
	}

	// Networks and volumes are independent of each other; the rollback records each kind apart.
	created := &rollback{}
	if err := inOrder(
		func() error { return s.createNetworks(ctx, netsToMake, created) },
		func() error { return s.createVolumes(ctx, volsToMake, created) },
	); err != nil {
		created.undo(s)
		return err
	}

	r := &run{s: s, o: o, g: g, tr: tr, plans: plans, existing: byService, recreated: map[string]bool{}, ids: map[string][]string{}, ready: map[string]bool{}, converging: map[string]bool{}, created: created, slots: make(chan struct{}, parallelStarts())}
	if !o.Detach && !o.NoStart {
		r.attach = s.newAttacher(targets, o)
	}
	// --wait-timeout bounds the whole wait, dependencies that never become healthy included: one
	// deadline for the walk and the final wait. Without it, and without --wait (the walk still waits
	// on depends_on conditions), DefaultDependencyWait bounds it, so no up waits forever.
	bound := o.bound
	if bound == nil {
		d, what := o.WaitTimeout, "the services to be ready"
		if d <= 0 {
			d = DefaultDependencyWait
		}
		if !o.Wait {
			what = "the dependencies to be ready"
		}
		bound = newWaitBound(d, what)
	}
	waitCtx, cancel := bound.within(ctx)
	defer cancel()
	walkErr := g.Walk(waitCtx, targets, false, r.converge)
	if walkErr != nil {
		if !created.started {
			created.undo(s)
		}
		if r.attach != nil {
			r.attach.close()
		}
		if ctx.Err() != nil {
			return s.interrupted(r, o)
		}
		if waitCtx.Err() != nil {
			return r.notReady(context.Cause(waitCtx), targets)
		}
		return walkErr
	}
	if o.NoStart {
		return nil
	}
	if o.Wait {
		if err := r.waitAll(waitCtx, targets); err != nil {
			if ctx.Err() != nil && r.attach == nil {
				return ErrInterrupted
			}
			if ctx.Err() == nil && waitCtx.Err() != nil {
				return r.notReady(context.Cause(waitCtx), targets)
			}
			return err
		}
		if o.Detach {
			return nil
		}
	}
	if o.Detach {
		return nil
	}
	s.endProgress()
	return r.follow(ctx)
}

// interrupted stops what an attached up started, as compose does on Ctrl-C, and says so.
func (s *Stack) interrupted(r *run, o UpOptions) error {
	if o.Detach {
		return fmt.Errorf("%w; run `mlstack up` again to finish converging", ErrInterrupted)
	}
	s.stopAttached(r, o)
	return ErrInterrupted
}

type rollback struct {
	mu       sync.Mutex
	networks []string
	volumes  []string
	started  bool
}

func (rb *rollback) undo(s *Stack) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, n := range rb.networks {
		_ = s.api().NetworkRemove(ctx, n)
	}
	for _, v := range rb.volumes {
		_ = s.api().VolumeRemove(ctx, v, false)
	}
}

// run is the state of one up's walk.
type run struct {
	s        *Stack
	o        UpOptions
	g        *graph.Graph
	tr       *Tracker
	plans    map[string]*plan
	existing map[string][]container.Summary
	created  *rollback
	attach   *attacher

	// slots bounds concurrent container creates and starts: the engine serialises much of a start
	// (network sandbox, cgroups), so a bounded pipeline finishes some services early and lets their
	// dependents go, where an unbounded burst finishes all of them late.
	slots chan struct{}

	mu         sync.Mutex
	recreated  map[string]bool
	ids        map[string][]string // service → container IDs after convergence
	ready      map[string]bool     // services --wait found ready
	converging map[string]bool     // services whose dependencies held, being created and started
}

func (r *run) containerIDs(svc string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids[svc]...)
}

// converge brings one service to its desired state once its dependencies' conditions hold.
func (r *run) converge(ctx context.Context, n string) (err error) {
	defer func() {
		if err != nil && ctx.Err() == nil {
			r.s.emit(n, progress.Failed, err.Error())
		}
	}()
	pl := r.plans[n]
	restartDep := false
	for _, e := range r.g.Deps(n) {
		if _, ok := r.plans[e.To]; !ok {
			continue // --no-deps: not ours to wait for
		}
		if err := r.waitDependency(ctx, n, e); err != nil {
			return err
		}
		r.mu.Lock()
		if e.Restart && r.recreated[e.To] {
			restartDep = true
		}
		r.mu.Unlock()
	}
	r.mu.Lock()
	r.converging[n] = true
	r.mu.Unlock()
	olds := r.existing[n]
	sort.Slice(olds, func(i, j int) bool { return number(olds[i]) < number(olds[j]) })
	var ids []string
	recreated := false
	for i := 1; i <= pl.scale; i++ {
		var old *container.Summary
		for k := range olds {
			if number(olds[k]) == i {
				old = &olds[k]
			}
		}
		select {
		case r.slots <- struct{}{}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		id, changed, err := r.convergeOne(ctx, pl, i, old, restartDep)
		<-r.slots
		if err != nil {
			return err
		}
		recreated = recreated || changed
		ids = append(ids, id)
	}
	// Scale down: containers numbered above the scale go.
	for _, c := range olds {
		if number(c) > pl.scale {
			if err := r.s.removeContainer(ctx, c.ID, name(c), r.o.StopTimeout); err != nil {
				return err
			}
		}
	}
	r.mu.Lock()
	r.ids[n] = ids
	r.recreated[n] = recreated
	r.mu.Unlock()
	return nil
}

func (r *run) convergeOne(ctx context.Context, pl *plan, num int, old *container.Summary, restartDep bool) (string, bool, error) {
	s := r.s
	svc := pl.svc
	cname := ContainerName(s.Name(), svc, num)
	if old != nil {
		same := old.Labels[labels.ConfigHash] == pl.hash && (old.Labels[labels.Image] == "" || old.Labels[labels.Image] == pl.imageID || old.ImageID == pl.imageID)
		keep := r.o.NoRecreate || (same && !r.o.ForceRecreate && !restartDep)
		if keep {
			if r.o.NoStart {
				return old.ID, false, nil
			}
			if old.State == "running" {
				s.emit(svc.Name, progress.Running, "")
				s.UI.Status("Container "+name(*old), "Running")
				return old.ID, false, nil
			}
			if old.State == "exited" && statusExitCode(old.Status) == 0 && r.isInitJob(svc.Name) {
				// An init job (a dependent waits for it to complete) that completed and has not changed
				// is done: running it again would redo a migration and reorder the stack's history.
				s.emitExit(svc.Name, 0)
				s.UI.Status("Container "+name(*old), "Completed")
				return old.ID, false, nil
			}
			if err := r.startContainer(ctx, svc.Name, old.ID, name(*old), svc.Tty); err != nil {
				return "", false, err
			}
			return old.ID, false, nil
		}
		// Said before the removal it leads to, so the steps print in the order they happen.
		grace := ""
		if old.State == "running" {
			grace = graceDetail(r.o.StopTimeout, svc)
		}
		s.emit(svc.Name, progress.Recreating, grace)
		s.UI.Status("Container "+cname, "Recreate")
		if err := s.removeContainer(ctx, old.ID, name(*old), r.o.StopTimeout); err != nil {
			return "", false, err
		}
	}
	spec, err := ContainerSpec(SpecInput{Project: s.Project.Project, Service: svc, Number: num, ConfigHash: pl.hash, ImageID: pl.imageID, DeviceRequests: pl.devices, APIVersion: s.api().ClientVersion()})
	if err != nil {
		return "", false, err
	}
	id, err := s.createContainer(ctx, svc.Name, spec)
	if err != nil {
		return "", false, err
	}
	s.emit(svc.Name, progress.Created, "")
	s.UI.Status("Container "+cname, "Created")
	if r.o.NoStart {
		return id, true, nil
	}
	if err := r.startContainer(ctx, svc.Name, id, cname, spec.Config.Tty); err != nil {
		return r.retryWithoutGPU(ctx, pl, num, cname, err)
	}
	return id, true, nil
}

// retryWithoutGPU asks the GPU policy about a start that failed: when the engine refused a GPU it
// seemed to have and the mode allows CPU, the container is created again with the requests the
// policy gives and started once more.
func (r *run) retryWithoutGPU(ctx context.Context, pl *plan, num int, cname string, startErr error) (string, bool, error) {
	if r.o.NoGPU == nil || len(pl.devices) == 0 {
		return "", false, startErr
	}
	reqs, ok, err := r.o.NoGPU(ctx, pl.svc, startErr)
	if err != nil {
		return "", false, err
	}
	if !ok {
		return "", false, startErr
	}
	s := r.s
	// Further containers of the service (scale) start on CPU at once.
	pl.devices = reqs
	spec, err := ContainerSpec(SpecInput{Project: s.Project.Project, Service: pl.svc, Number: num, ConfigHash: pl.hash, ImageID: pl.imageID, DeviceRequests: reqs, APIVersion: s.api().ClientVersion()})
	if err != nil {
		return "", false, err
	}
	id, err := s.createContainer(ctx, pl.svc.Name, spec)
	if err != nil {
		return "", false, err
	}
	s.UI.Status("Container "+cname, "Created")
	if err := r.startContainer(ctx, pl.svc.Name, id, cname, spec.Config.Tty); err != nil {
		return "", false, err
	}
	return id, true, nil
}

// createContainer creates a container and connects its extra networks.
func (s *Stack) createContainer(ctx context.Context, service string, spec *Spec) (string, error) {
	for _, d := range spec.BindsToMake {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", fmt.Errorf("service %q: create bind source %s: %w", service, d, err)
		}
	}
	if err := spec.WriteFiles(); err != nil {
		return "", fmt.Errorf("service %q: %w", service, err)
	}
	resp, err := s.api().ContainerCreate(ctx, spec.Config, spec.Host, spec.Network, spec.Platform, spec.Name)
	if err != nil {
		if isConflict(err) {
			return "", fmt.Errorf("create service %q: container name %q is already in use by a container that is not part of project %q (remove it or change container_name)", service, spec.Name, s.Name())
		}
		return "", fmt.Errorf("create service %q: %w", service, err)
	}
	for _, w := range resp.Warnings {
		s.UI.Warn("service %q: %s", service, w)
	}
	for _, netName := range slices.Sorted(maps.Keys(spec.ExtraNets)) {
		if err := s.api().NetworkConnect(ctx, netName, resp.ID, spec.ExtraNets[netName]); err != nil {
			_ = s.api().ContainerRemove(context.WithoutCancel(ctx), resp.ID, container.RemoveOptions{Force: true})
			return "", fmt.Errorf("create service %q: connect to network %s: %w", service, netName, err)
		}
	}
	return resp.ID, nil
}

func (r *run) startContainer(ctx context.Context, service, id, cname string, tty bool) error {
	if r.attach != nil {
		if err := r.attach.add(ctx, service, id, cname, tty); err != nil {
			return err
		}
	}
	// A stopped container's seeded state (exited, last health) is about its previous run.
	r.tr.forget(id)
	if err := r.s.api().ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		if ctx.Err() != nil {
			// Cut short by Ctrl-C or --wait-timeout: the engine may have started it all the same.
			// It stays, with its networks, for the next up to converge, and the command returns now.
			r.created.mu.Lock()
			r.created.started = true
			r.created.mu.Unlock()
			return context.Cause(ctx)
		}
		// A container that cannot start is useless and would block the next up's name; remove it.
		_ = r.s.api().ContainerRemove(context.WithoutCancel(ctx), id, container.RemoveOptions{Force: true})
		return fmt.Errorf("start service %q: %w", service, explainStartError(err))
	}
	r.created.mu.Lock()
	r.created.started = true
	r.created.mu.Unlock()
	r.s.emit(service, progress.Started, "")
	r.s.UI.Status("Container "+cname, "Started")
	pl := r.plans[service]
	if !r.o.EngineHealth && pl.svc.HealthCheck != nil && !pl.svc.HealthCheck.Disable && len(pl.svc.HealthCheck.Test) > 0 && r.hasHealthyDependent(service) {
		go probeEarly(ctx, r.s.api(), r.tr, id, pl.svc.HealthCheck)
	}
	return nil
}

// parallelStarts is how many containers one up creates and starts at once (MLSTACK_PARALLEL
// overrides; 0 or less means unbounded).
func parallelStarts() int {
	if v, err := strconv.Atoi(os.Getenv("MLSTACK_PARALLEL")); err == nil {
		if v <= 0 {
			return 1 << 16
		}
		return v
	}
	return defaultParallelStarts
}

// defaultParallelStarts bounds the create/start pipeline. On the 2-core test engine a 100-service
// up took 24.4 s at 8, 23.3 s at 16, 25.0 s unbounded and 29.1 s at 4: the engine serialises
// starts, so the bound costs nothing and keeps a large project from flooding the daemon at once.
const defaultParallelStarts = 8

// isInitJob reports whether some dependent waits for service to complete successfully.
func (r *run) isInitJob(service string) bool {
	for _, d := range r.g.Dependents(service) {
		for _, e := range r.g.Deps(d) {
			if e.To == service && e.Condition == graph.Completed {
				return true
			}
		}
	}
	return false
}

func (r *run) hasHealthyDependent(service string) bool {
	for _, d := range r.g.Dependents(service) {
		for _, e := range r.g.Deps(d) {
			if e.To == service && e.Condition == graph.Healthy {
				return true
			}
		}
	}
	return false
}

func explainStartError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "port is already allocated"), strings.Contains(msg, "address already in use"):
		return fmt.Errorf("a published port is already in use: %w", err)
	case strings.Contains(msg, "could not select device driver"):
		return fmt.Errorf("the engine could not give the container a GPU (%w)", err)
	}
	return err
}

// waitDependency blocks until dependency e of service n holds.
func (r *run) waitDependency(ctx context.Context, n string, e graph.Edge) error {
	ids := r.containerIDs(e.To)
	if e.Condition == graph.Started {
		return nil
	}
	pl := r.plans[e.To]
	r.s.emit(n, progress.Waiting, waitDetail(e.To, e.Condition))
	for _, id := range ids {
		err := r.tr.Wait(ctx, id, r.s.conditionHolds(ctx, e.Condition, pl.svc, id, !r.o.EngineHealth))
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return fmt.Errorf("service %q: dependency %q (%s) failed: %w", n, e.To, r.tr.Get(id).Name, err)
		}
	}
	switch e.Condition {
	case graph.Healthy:
		r.s.emit(e.To, progress.Healthy, "")
	case graph.Completed:
		r.s.emitExit(e.To, 0)
	}
	return nil
}

// conditionHolds is the check, for Tracker.Wait, of one depends_on condition on one container of the
// dependency dep: done when it holds, an error naming dep when it never will (unhealthy, or ended
// with no restart coming: exited, stopped or killed by hand, removed). earlyProbe accepts mlstack's
// own passing probe for service_healthy.
func (s *Stack) conditionHolds(ctx context.Context, cond string, dep types.ServiceConfig, id string, earlyProbe bool) func(CState) (bool, error) {
	return func(st CState) (bool, error) {
		switch cond {
		case graph.Healthy:
			if !st.Removed && (st.Health == "healthy" || (st.ProbePassed && earlyProbe)) && !st.Exited {
				return true, nil
			}
			if st.Health == "unhealthy" && !st.Exited && !st.Removed {
				return false, s.failure(ctx, dep.Name, id, "is unhealthy")
			}
			if st.Ended() {
				return false, s.failure(ctx, dep.Name, id, st.HowEnded()+" before it was healthy")
			}
		case graph.Completed:
			if st.Exited && st.ExitCode == 0 && st.Stopped == "" {
				return true, nil
			}
			if st.Ended() {
				return false, s.failure(ctx, dep.Name, id, st.HowEnded())
			}
		default:
			return true, nil
		}
		return false, nil
	}
}

// failureDetailsTimeout bounds the engine calls that gather a failure's probe output and log lines.
const failureDetailsTimeout = 5 * time.Second

// failure builds an error that shows why a container failed: its last health probe output and
// its last log lines.
func (s *Stack) failure(ctx context.Context, service, id, what string) error {
	// The details are worth a moment even after Ctrl-C, but not a hang on a stuck engine.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), failureDetailsTimeout)
	defer cancel()
	var b strings.Builder
	fmt.Fprintf(&b, "service %q %s", service, what)
	if in, err := s.api().ContainerInspect(ctx, id); err == nil && in.State != nil && in.State.Health != nil && len(in.State.Health.Log) > 0 {
		last := in.State.Health.Log[len(in.State.Health.Log)-1]
		out := strings.TrimSpace(last.Output)
		if out == "" {
			out = "(no output)"
		}
		fmt.Fprintf(&b, "\n  last health check (exit %d): %s", last.ExitCode, out)
	}
	if lines := s.api().LastLines(ctx, id, 20); len(lines) > 0 {
		fmt.Fprintf(&b, "\n  last %d log lines:", len(lines))
		for _, l := range lines {
			fmt.Fprintf(&b, "\n    %s", l)
		}
	}
	return errors.New(b.String())
}

// waitAll implements --wait: every started service running, healthy where it has a healthcheck
// (by the engine's own status, so ps agrees), one-shot services exited 0. A service that ends with
// no restart coming (exits non-zero, is stopped, killed or removed by hand) fails it at once.
func (r *run) waitAll(ctx context.Context, targets []string) error {
	return parallel(ctx, targets, func(ctx context.Context, n string) error {
		hasHC := r.plans[n].hasHealthcheck()
		for _, id := range r.containerIDs(n) {
			if hasHC && r.tr.Get(id).Health != "healthy" {
				r.s.emit(n, progress.Starting, "")
				break
			}
		}
		for _, id := range r.containerIDs(n) {
			err := r.tr.Wait(ctx, id, func(st CState) (bool, error) {
				return readyCheck(st, hasHC, func(what string) error { return r.s.failure(ctx, n, id, what) })
			})
			if err != nil {
				return err
			}
		}
		r.mu.Lock()
		r.ready[n] = true
		r.mu.Unlock()
		r.s.UI.Status("Service "+n, "Ready")
		if hasHC {
			r.s.emit(n, progress.Healthy, "")
		}
		return nil
	})
}

// readyCheck is --wait's test of one container: done when it runs (healthy, with a healthcheck) or,
// a one-shot, exited 0 on its own; fail(what) when it never will be.
func readyCheck(st CState, hasHC bool, fail func(what string) error) (bool, error) {
	switch {
	case st.Ended():
		if !st.Removed && st.Stopped == "" && st.ExitCode == 0 {
			return true, nil
		}
		return false, fail(st.HowEnded())
	case st.Exited, !st.Running:
		return false, nil // a restart is coming, or the re-read that says so
	case !hasHC:
		return true, nil
	}
	switch st.Health {
	case "healthy":
		return true, nil
	case "unhealthy":
		return false, fail("is unhealthy")
	}
	return false, nil
}

// notReady reports a timed-out wait: every target service not ready, with its containers' states.
func (r *run) notReady(cause error, targets []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return notReadyError(cause, targets, func(n string) string {
		if r.ready[n] {
			return ""
		}
		ids := r.ids[n]
		if len(ids) == 0 {
			if r.converging[n] {
				return "being created and started"
			}
			return "not started (waiting for its dependencies)"
		}
		hasHC := r.plans[n].hasHealthcheck()
		return containerStates(r.tr, ids, hasHC, func(st CState) bool {
			done, err := readyCheck(st, hasHC, func(string) error { return errors.New("") })
			return done && err == nil
		})
	})
}

// notReadyError is the error of a timed-out wait: the cause, which names what the wait was for,
// then each of services whose state is not "" (state says why it is not ready).
func notReadyError(cause error, services []string, state func(service string) string) error {
	var b strings.Builder
	b.WriteString("; not ready:")
	for _, n := range services {
		if st := state(n); st != "" {
			fmt.Fprintf(&b, "\n  %s: %s", n, st)
		}
	}
	return fmt.Errorf("%w%s", cause, b.String())
}

// containerStates describes the containers ids, or is "" when ready holds for every one of them.
func containerStates(tr *Tracker, ids []string, hasHC bool, ready func(CState) bool) string {
	var states []string
	all := true
	for _, id := range ids {
		st := tr.Get(id)
		all = all && ready(st)
		states = append(states, st.describe(hasHC))
	}
	if all {
		return ""
	}
	return strings.Join(states, "; ")
}

// inOrder runs fns concurrently and returns the error of the first of them, in the order given, that
// failed: the error a sequential run would have stopped at, whichever finished first.
func inOrder(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// parallel runs fn for every name concurrently and returns the first error.
func parallel(ctx context.Context, names []string, fn func(context.Context, string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for _, n := range names {
		wg.Add(1)
		go func(n string) {
			defer wg.Done()
			if err := fn(ctx, n); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(n)
	}
	wg.Wait()
	return first
}
