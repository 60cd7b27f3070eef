package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/format"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/graph"
	"github.com/mlstack/mlstack/internal/progress"
)

// OneOffOptions are the choices of `mlstack run` and `mlstack train`: compose run's flags.
type OneOffOptions struct {
	Service string
	// Command replaces the service's command when not nil.
	Command []string
	// Entrypoint replaces the service's entrypoint when not nil (an empty slice clears it).
	Entrypoint []string
	// Env adds KEY=VALUE entries; a bare KEY takes its value from mlstack's environment (unset: left out).
	Env []string
	// EnvFiles are read in order; Env wins over them.
	EnvFiles []string
	// Volumes are extra mounts in compose's short syntax (SRC:DST[:MODE]); a relative SRC is the project's.
	Volumes []string
	Workdir string
	User    string
	// Name replaces the generated <project>-<service>-run-<12 hex> container name.
	Name string
	// Publish are extra published ports ([IP:][HOST:]CONTAINER[/PROTO]); ServicePorts publishes the service's own.
	Publish      []string
	ServicePorts bool
	NoDeps       bool
	Detach       bool
	// Keep leaves the container behind after it exits (compose's --rm=false).
	Keep bool
	// TTY allocates a terminal; Interactive attaches stdin.
	TTY, Interactive bool
	// ImageID runs this image instead of the service's (a replay); otherwise Images resolves it.
	ImageID string
	Images  ImageResolver
	// Devices is the GPU policy for the dependencies (as under up); TargetDevices for the job itself.
	Devices       DeviceDecider
	TargetDevices DeviceDecider
	// NoGPU, when set, is shown a failed start of a job that asked for devices; ok true retries the
	// job with reqs (the GPU policy's CPU fallback when the engine has no GPU to give).
	NoGPU GPUFallback
	// Kill is closed on the second Ctrl-C: the job is killed instead of waited for.
	Kill <-chan struct{}
	// StopTimeout is how long the job has to exit after Ctrl-C before it is killed (default: the
	// service's stop_grace_period, else 10s).
	StopTimeout *int
	// Stdout and Stderr receive the job's output besides the terminal (e.g. a run log).
	Stdout, Stderr io.Writer
	// BeforeStart, when set, is called between the job's create and its start: the last moment at
	// which what the job could change (its bind-mounted files) is read as it was at launch.
	BeforeStart func()
	// Started is called once the job runs.
	Started func(OneOffStarted)
	// WaitTimeout bounds the wait for the dependencies, their start and the job's depends_on
	// conditions together (DefaultDependencyWait when zero).
	WaitTimeout time.Duration
}

// DefaultDependencyWait bounds a one-off job's wait for its dependencies when OneOffOptions sets no
// WaitTimeout: room for a database's first start, but a dependency that never becomes healthy ends
// the job, naming it, instead of holding it forever.
const DefaultDependencyWait = 10 * time.Minute

// OneOffStarted describes a running one-off job, for run records.
type OneOffStarted struct {
	ID, Name   string
	ImageID    string
	ConfigHash string
	Entrypoint []string
	Command    []string
	// Env is the container's whole environment (image and service), KEY=VALUE.
	Env       []string
	Devices   []container.DeviceRequest
	StartedAt time.Time
}

// RunOneOff runs a one-off container of a service: its dependencies come up in health order (running
// ones are reused), then the job runs attached with Ctrl-C forwarded, and its exit code is returned.
func (s *Stack) RunOneOff(ctx context.Context, o OneOffOptions) (int, error) {
	p := s.Project
	if err := p.CheckServices([]string{o.Service}); err != nil {
		return 0, err
	}
	orig := p.Services[o.Service]
	hash, err := ConfigHash(orig)
	if err != nil {
		return 0, err
	}
	svc, proj, err := s.oneOffService(orig, o)
	if err != nil {
		return 0, err
	}
	WarnUnsupported(s.UI, svc)

	imageID := o.ImageID
	if imageID == "" {
		resolve := o.Images
		if resolve == nil {
			resolve = s.defaultImage
		}
		if imageID, err = resolve(ctx, orig); err != nil {
			return 0, err
		}
	} else {
		if _, err := s.api().ImageInspect(ctx, imageID); err != nil {
			if isNotFound(err) {
				return 0, fmt.Errorf("service %q: image %s no longer exists on the engine", o.Service, imageID)
			}
			return 0, fmt.Errorf("service %q: inspect image %s: %w", o.Service, imageID, err)
		}
		svc.Image = imageID
	}
	// The GPU decision comes before the dependencies: --gpus all on an engine without GPU fails
	// before anything starts.
	var devs []container.DeviceRequest
	if o.TargetDevices != nil {
		probe := svc
		probe.Image = imageID
		if devs, err = o.TargetDevices(ctx, probe); err != nil {
			return 0, err
		}
	}
	if !o.NoDeps && len(orig.DependsOn) > 0 {
		if err := s.upDependencies(ctx, orig, o); err != nil {
			return 0, err
		}
	}
	if err := s.ensureNetworks(ctx, []string{o.Service}, &rollback{}); err != nil {
		return 0, err
	}
	if err := s.ensureVolumes(ctx, []string{o.Service}, &rollback{}); err != nil {
		return 0, err
	}

	slug := newSlug()
	cname := o.Name
	if cname == "" {
		cname = fmt.Sprintf("%s-%s-run-%s", s.Name(), o.Service, slug[:12])
	}
	job := &oneOff{s: s, o: o, svc: svc, proj: proj, name: cname, slug: slug, hash: hash, imageID: imageID}
	if err := job.create(ctx, devs); err != nil {
		return 0, err
	}
	// The job's output follows: the live view of the dependency phase ends here.
	if !o.NoDeps && len(orig.DependsOn) > 0 {
		s.emit(o.Service, progress.Created, "")
	}
	s.endProgress()
	if o.BeforeStart != nil {
		o.BeforeStart()
	}
	if err := job.start(ctx); err != nil {
		job.remove()
		if o.NoGPU == nil || len(devs) == 0 {
			return 0, err
		}
		cpu, ok, ferr := o.NoGPU(ctx, svc, err)
		if ferr != nil {
			return 0, ferr
		}
		if !ok {
			return 0, err
		}
		if err := job.create(ctx, cpu); err != nil {
			return 0, err
		}
		if err := job.start(ctx); err != nil {
			job.remove()
			return 0, err
		}
	}
	if o.Started != nil {
		o.Started(job.started())
	}
	if o.Detach {
		fmt.Fprintln(s.UI.Out, cname)
		return 0, nil
	}
	code, err := job.wait(ctx)
	if !o.Keep {
		job.remove()
	}
	return code, err
}

// oneOffService applies the command line's overrides to a copy of the service, as compose run does:
// no published ports unless asked, no restart policy, no fixed container name.
func (s *Stack) oneOffService(svc types.ServiceConfig, o OneOffOptions) (types.ServiceConfig, *types.Project, error) {
	p := s.Project.Project
	proj := p
	svc.ContainerName = ""
	svc.Restart = ""
	if svc.Deploy != nil {
		d := *svc.Deploy
		d.RestartPolicy = nil
		svc.Deploy = &d
	}
	svc.Tty = o.TTY
	svc.StdinOpen = o.Interactive
	if o.Command != nil {
		svc.Command = types.ShellCommand(o.Command)
	}
	if o.Entrypoint != nil {
		svc.Entrypoint = types.ShellCommand(o.Entrypoint)
	}
	if o.Workdir != "" {
		svc.WorkingDir = o.Workdir
	}
	if o.User != "" {
		svc.User = o.User
	}
	if !o.ServicePorts {
		svc.Ports = nil
	}
	for _, spec := range o.Publish {
		ports, err := types.ParsePortConfig(spec)
		if err != nil {
			return svc, nil, fmt.Errorf("--publish %q: %w", spec, err)
		}
		svc.Ports = append(svc.Ports, ports...)
	}

	env := types.MappingWithEquals{}
	for k, v := range svc.Environment {
		env[k] = v
	}
	if len(o.EnvFiles) > 0 {
		fromFiles, err := dotenv.GetEnvFromFile(osEnv(), o.EnvFiles)
		if err != nil {
			return svc, nil, fmt.Errorf("--env-file: %w", err)
		}
		for k, v := range fromFiles {
			env[k] = &v
		}
	}
	for _, kv := range o.Env {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" {
			return svc, nil, fmt.Errorf("-e %q: want KEY=VALUE or KEY", kv)
		}
		if !ok {
			val, set := os.LookupEnv(k)
			if !set {
				continue
			}
			v = val
		}
		env[k] = &v
	}
	svc.Environment = env

	if len(o.Volumes) > 0 {
		vols := make(types.Volumes, len(p.Volumes))
		for k, v := range p.Volumes {
			vols[k] = v
		}
		for _, spec := range o.Volumes {
			v, err := format.ParseVolume(spec)
			if err != nil {
				return svc, nil, fmt.Errorf("--volume %q: %w", spec, err)
			}
			switch v.Type {
			case types.VolumeTypeBind:
				if !filepath.IsAbs(v.Source) {
					v.Source = filepath.Join(p.WorkingDir, v.Source)
				}
				v.Bind = &types.ServiceVolumeBind{CreateHostPath: true}
			case types.VolumeTypeVolume:
				if _, ok := vols[v.Source]; !ok && v.Source != "" {
					// Not declared: like docker run -v NAME:/dst, the engine creates it by that name.
					vols[v.Source] = types.VolumeConfig{Name: v.Source}
				}
			}
			svc.Volumes = append(svc.Volumes, v)
		}
		cp := *p
		cp.Volumes = vols
		proj = &cp
	}
	return svc, proj, nil
}

func osEnv() map[string]string {
	out := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// upDependencies brings up what the service depends on (reusing running containers) and waits
// for the service's own depends_on conditions.
func (s *Stack) upDependencies(ctx context.Context, svc types.ServiceConfig, o OneOffOptions) error {
	var deps []string
	for d, c := range svc.DependsOn {
		if _, ok := s.Project.Services[d]; !ok && !c.Required {
			continue
		}
		deps = append(deps, d)
	}
	sort.Strings(deps)
	if len(deps) == 0 {
		return nil
	}
	timeout := o.WaitTimeout
	if timeout <= 0 {
		timeout = DefaultDependencyWait
	}
	bound := newWaitBound(timeout, fmt.Sprintf("the dependencies of service %q (--wait-timeout)", svc.Name))
	// One live view for the whole dependency phase: up, then the job's own conditions.
	if err := s.Up(inPhase(ctx), UpOptions{Services: deps, Detach: true, Images: o.Images, Devices: o.Devices, NoGPU: o.NoGPU, Kill: o.Kill, StopTimeout: o.StopTimeout, bound: bound}); err != nil {
		if errors.Is(err, ErrInterrupted) || errors.Is(err, bound.cause) {
			return err
		}
		return fmt.Errorf("start dependencies of %q: %w", svc.Name, err)
	}
	return s.waitConditions(ctx, svc, bound)
}

// waitConditions blocks, within bound, until the service's depends_on conditions hold on the
// running stack (service_healthy: healthy, or mlstack's early probe passed;
// service_completed_successfully: exited 0). A dependency that fails is reported by name with its
// last log lines; a timeout names every dependency whose condition does not hold, with its state.
func (s *Stack) waitConditions(ctx context.Context, svc types.ServiceConfig, bound *waitBound) error {
	tr := Track(ctx, s.api(), s.Name())
	defer tr.Close()
	var deps []string
	for _, d := range slices.Sorted(maps.Keys(svc.DependsOn)) {
		if c := svc.DependsOn[d].Condition; c == graph.Healthy || c == graph.Completed {
			deps = append(deps, d)
		}
	}
	waitCtx, cancel := bound.within(ctx)
	defer cancel()
	var mu sync.Mutex
	ids := map[string][]string{}
	held := map[string]bool{}
	err := parallel(waitCtx, deps, func(ctx context.Context, d string) error {
		c := svc.DependsOn[d]
		cs, err := s.containers(ctx, true, false, d)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			if !c.Required {
				mu.Lock()
				held[d] = true
				mu.Unlock()
				return nil
			}
			return fmt.Errorf("service %q: dependency %q has no container", svc.Name, d)
		}
		mu.Lock()
		for _, ct := range cs {
			ids[d] = append(ids[d], ct.ID)
		}
		mu.Unlock()
		dep := s.Project.Services[d]
		s.emit(svc.Name, progress.Waiting, waitDetail(d, c.Condition))
		for _, ct := range cs {
			if err := tr.Seed(ctx, ct.ID); err != nil {
				return fmt.Errorf("service %q: dependency %q: %w", svc.Name, d, err)
			}
			if c.Condition == graph.Healthy && dep.HealthCheck != nil && !dep.HealthCheck.Disable {
				if st := tr.Get(ct.ID); st.Running && st.Health != "healthy" {
					go probeEarly(ctx, s.api(), tr, ct.ID, dep.HealthCheck)
				}
			}
			if err := tr.Wait(ctx, ct.ID, s.conditionHolds(ctx, c.Condition, dep, ct.ID, true)); err != nil {
				if ctx.Err() != nil {
					return context.Cause(ctx)
				}
				return fmt.Errorf("service %q: dependency %q failed: %w", svc.Name, d, err)
			}
		}
		mu.Lock()
		held[d] = true
		mu.Unlock()
		if c.Condition == graph.Healthy {
			s.emit(d, progress.Healthy, "")
		} else {
			s.emitExit(d, 0)
		}
		return nil
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ErrInterrupted
	case waitCtx.Err() != nil:
		mu.Lock()
		defer mu.Unlock()
		return notReadyError(context.Cause(waitCtx), deps, func(d string) string {
			if held[d] {
				return ""
			}
			if len(ids[d]) == 0 {
				return "no container yet"
			}
			dep := s.Project.Services[d]
			hasHC := dep.HealthCheck != nil && !dep.HealthCheck.Disable
			return containerStates(tr, ids[d], hasHC, func(CState) bool { return false })
		})
	}
	return err
}

// oneOff is one job container through its life.
type oneOff struct {
	s       *Stack
	o       OneOffOptions
	svc     types.ServiceConfig
	proj    *types.Project
	name    string
	slug    string
	hash    string
	imageID string

	id      string
	devices []container.DeviceRequest
	spec    *Spec
	// attached is closed when the attach stream ended (nil when detached).
	attached <-chan error
	cancel   context.CancelFunc
}

func (j *oneOff) create(ctx context.Context, devs []container.DeviceRequest) error {
	spec, err := ContainerSpec(SpecInput{
		Project: j.proj, Service: j.svc, Number: 1, OneOff: true, Slug: j.slug, Name: j.name,
		ConfigHash: j.hash, ImageID: j.imageID, DeviceRequests: devs, APIVersion: j.s.api().ClientVersion(),
	})
	if err != nil {
		return err
	}
	if j.o.Interactive {
		spec.Config.StdinOnce = true
	}
	if j.o.Detach {
		spec.Config.AttachStdin, spec.Config.AttachStdout, spec.Config.AttachStderr = false, false, false
		spec.Host.AutoRemove = !j.o.Keep
	}
	id, err := j.s.createContainer(ctx, j.svc.Name, spec)
	if err != nil {
		return err
	}
	j.id, j.spec, j.devices = id, spec, devs
	return nil
}

// start attaches (before the start, so the first line is not lost) and starts the container.
func (j *oneOff) start(ctx context.Context) error {
	if !j.o.Detach {
		actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		j.cancel = cancel
		out, errw := j.s.UI.Out, j.s.UI.Err
		if j.o.Stdout != nil {
			out = io.MultiWriter(out, j.o.Stdout)
		}
		if j.o.Stderr != nil {
			errw = io.MultiWriter(errw, j.o.Stderr)
		}
		var stdin io.Reader
		if j.o.Interactive {
			stdin = j.s.UI.In
		}
		done, err := j.s.api().AttachIO(actx, j.id, j.o.TTY, stdin, out, errw)
		if err != nil {
			cancel()
			return fmt.Errorf("run %q: %w", j.svc.Name, err)
		}
		j.attached = done
	}
	// The start itself is not cancelled: a Ctrl-C that lands while the engine starts the job (its
	// first output may already be streaming) must reach the job through wait, not abandon it.
	if err := j.s.api().ContainerStart(context.WithoutCancel(ctx), j.id, container.StartOptions{}); err != nil {
		if j.cancel != nil {
			j.cancel()
		}
		return fmt.Errorf("start %q: %w", j.svc.Name, explainStartError(err))
	}
	return nil
}

func (j *oneOff) started() OneOffStarted {
	st := OneOffStarted{ID: j.id, Name: j.name, ImageID: j.imageID, ConfigHash: j.hash, Devices: j.devices, StartedAt: time.Now()}
	if in, err := j.s.api().ContainerInspect(context.Background(), j.id); err == nil {
		st.ImageID = in.Image
		if in.Config != nil {
			st.Env = in.Config.Env
			st.Entrypoint = in.Config.Entrypoint
			st.Command = in.Config.Cmd
		}
		if in.State != nil {
			if t, err := time.Parse(time.RFC3339Nano, in.State.StartedAt); err == nil {
				st.StartedAt = t
			}
		}
	}
	return st
}

// wait follows the job to its exit. The first Ctrl-C sends SIGINT (the job may save a checkpoint)
// and allows the grace period; a second Ctrl-C or the end of the grace period kills it.
func (j *oneOff) wait(ctx context.Context) (int, error) {
	s := j.s
	bg := context.WithoutCancel(ctx)
	waitC, errC := s.api().ContainerWait(bg, j.id, container.WaitConditionNotRunning)
	interrupted := ctx.Done()
	var grace <-chan time.Time
	code, signalled := 0, false
loop:
	for {
		select {
		case res := <-waitC:
			code = int(res.StatusCode)
			if res.Error != nil && res.Error.Message != "" {
				return 0, fmt.Errorf("service %q: wait for container %s: %s", j.svc.Name, j.name, res.Error.Message)
			}
			break loop
		case err := <-errC:
			return 0, fmt.Errorf("service %q: wait for container %s: %w", j.svc.Name, j.name, err)
		case <-interrupted:
			interrupted, signalled = nil, true
			secs := j.graceSeconds()
			s.UI.Info("Interrupting %s (Ctrl-C again to kill it; killed after %ds)", j.name, secs)
			if err := s.api().ContainerKill(bg, j.id, "SIGINT"); err != nil && !isNotFound(err) {
				s.UI.Warn("interrupt %s: %v", j.name, err)
			}
			grace = time.After(time.Duration(secs) * time.Second)
		case <-j.o.Kill:
			j.o.Kill, signalled = nil, true
			_ = s.api().ContainerKill(bg, j.id, "KILL")
		case <-grace:
			grace = nil
			_ = s.api().ContainerKill(bg, j.id, "KILL")
		}
	}
	if !signalled && code > 128 && code <= 128+64 {
		j.saySignalled(bg, code)
	}
	if j.attached != nil {
		// The attach stream ends right after the exit; wait for its last bytes, but not forever.
		select {
		case <-j.attached:
		case <-time.After(2 * time.Second):
		}
		j.cancel()
	}
	return code, nil
}

// saySignalled tells the user that a signal mlstack did not send ended the job (a kill or stop from
// another terminal, or the kernel's OOM killer), since the exit code alone does not say so.
func (j *oneOff) saySignalled(ctx context.Context, code int) {
	why := "stopped or killed outside this command"
	if in, err := j.s.api().ContainerInspect(ctx, j.id); err == nil && in.State != nil && in.State.OOMKilled {
		why = "killed for running out of memory (OOM)"
	}
	j.s.UI.Warn("service %q: the job's container %s was %s: signal %d, exit code %d", j.svc.Name, j.name, why, code-128, code)
}

func (j *oneOff) graceSeconds() int {
	if j.o.StopTimeout != nil {
		return *j.o.StopTimeout
	}
	if j.svc.StopGracePeriod != nil {
		return int(time.Duration(*j.svc.StopGracePeriod).Seconds())
	}
	return 10
}

// remove deletes the job container (and its anonymous volumes), whatever ctx says.
func (j *oneOff) remove() {
	if j.cancel != nil {
		j.cancel()
	}
	if j.id == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = j.s.api().ContainerRemove(ctx, j.id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	j.id = ""
}

// newSlug is compose's one-off slug: 32 random bytes in hex.
func newSlug() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
