// Package pipeline assembles, in one place, the image and GPU hooks of every command that starts
// containers (up, create, run, train, watch, build): build what changed, pull per pull_policy, and the
// GPU policy with its CPU fallback.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/build"
	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/gpu"
	"github.com/mlstack/mlstack/internal/progress"
	"github.com/mlstack/mlstack/internal/stack"
)

// Options are the image and GPU choices of one command (up's --build, --no-build, --pull, --gpus).
type Options struct {
	// Build builds images even when their inputs are unchanged (--build).
	Build bool
	// NoBuild never builds: a service whose image was not built yet fails (--no-build).
	NoBuild bool
	// Pull overrides every service's pull_policy: always, missing or never; "" keeps each service's.
	// always also pulls the base images of builds.
	Pull string
	// NoCache, Quiet and PullBase are `mlstack build`'s --no-cache, --quiet and --pull.
	NoCache, Quiet, PullBase bool
	// GPUs is the --gpus mode.
	GPUs gpu.Mode
	// TrainingJob gives a job's service the engine's GPUs under auto even without a reservation
	// (see gpu.Policy.TrainingJob).
	TrainingJob bool
}

// Validate checks the combination of flags; its errors name the flags.
func (o Options) Validate() error {
	if o.Build && o.NoBuild {
		return errors.New("--build and --no-build cannot be combined")
	}
	switch o.Pull {
	case "", types.PullPolicyAlways, types.PullPolicyMissing, types.PullPolicyNever:
		return nil
	}
	return fmt.Errorf("--pull %q: want always, missing or never", o.Pull)
}

// Engine is every engine call the hooks make besides the stack's: builds and GPU detection, each
// behind its own package's seam.
type Engine interface {
	build.Engine
	gpu.Engine
}

// Hooks are one command's image resolver and GPU policy, shared by everything the command starts.
type Hooks struct {
	st  *stack.Stack
	eng Engine
	o   Options
	set *build.Set
	// GPUs is the command's GPU policy; run records read its decisions.
	GPUs *gpu.Policy

	mu      sync.Mutex
	writers map[string]io.Writer
}

// New validates o and prepares the hooks for st's project.
func New(st *stack.Stack, o Options) (*Hooks, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	eng, err := engineOf(st)
	if err != nil {
		return nil, err
	}
	h := &Hooks{st: st, eng: eng, o: o}
	set, err := build.NewSet(eng, st.Project, h.buildOptions(), h.writer)
	if err != nil {
		return nil, err
	}
	h.set = set
	h.GPUs = gpu.NewPolicy(eng, o.GPUs, st.Project.State.CacheDir(), func(msg string) { st.UI.Notice("%s", msg) })
	h.GPUs.TrainingJob = o.TrainingJob
	return h, nil
}

// engineOf is the engine the hooks call: the one serving the stack's calls when it was given one
// (Stack.API, as unit tests do), else the stack's connection.
func engineOf(st *stack.Stack) (Engine, error) {
	if st.API == nil {
		return st.Eng, nil
	}
	eng, ok := st.API.(Engine)
	if !ok {
		return nil, fmt.Errorf("the stack's engine (%T) cannot build images or detect GPUs", st.API)
	}
	return eng, nil
}

func (h *Hooks) buildOptions() build.Options {
	return build.Options{
		Force:   h.o.Build,
		NoCache: h.o.NoCache,
		Quiet:   h.o.Quiet || h.st.UI.Quiet(),
		Pull:    h.o.PullBase || h.o.Pull == types.PullPolicyAlways,
		Warn:    func(msg string) { h.st.UI.Warn("%s", msg) },
	}
}

// writer gives each building service its own prefixed output, made on first use so a command that
// builds nothing prints nothing. A service's builder output also says, on the progress stream, that
// its build runs.
func (h *Hooks) writer(service string) io.Writer {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.writers == nil {
		names := BuildServices(h.st.Project.Services, nil)
		pfx := h.st.UI.NewPrefixer(names, false).LinesWhenPiped()
		h.writers = map[string]io.Writer{}
		for _, n := range names {
			h.writers[n] = &buildingWriter{w: pfx.Writer(n), emit: func() { h.emit(n, progress.Building, "") }}
		}
	}
	if w, ok := h.writers[service]; ok {
		return w
	}
	return h.st.UI.Out
}

// Up sets up's image resolver, GPU policy and CPU fallback.
func (h *Hooks) Up(o *stack.UpOptions) {
	o.Images = h.Image
	o.Devices = h.GPUs.Requests(false)
	o.NoGPU = h.GPUs.Retry
}

// OneOff sets a job's (run, train) image resolver, GPU policy and CPU fallback; its dependencies
// get up's.
func (h *Hooks) OneOff(o *stack.OneOffOptions) {
	o.Images = h.Image
	o.Devices = h.GPUs.Requests(false)
	o.TargetDevices = h.GPUs.Requests(true)
	o.NoGPU = h.GPUs.Retry
}

// Image resolves a service's image: a build: service is built when its inputs changed (never under
// NoBuild), any other is used locally or pulled as its pull_policy, or Pull, says.
func (h *Hooks) Image(ctx context.Context, svc types.ServiceConfig) (string, error) {
	if svc.Build == nil {
		if h.o.Pull != "" {
			svc.PullPolicy = h.o.Pull
		}
		return h.st.DefaultImage(ctx, svc)
	}
	if h.o.NoBuild {
		return h.existingImage(ctx, svc)
	}
	id, built, err := h.set.Image(ctx, svc)
	if err != nil {
		return "", err
	}
	if built {
		h.emitBuilt(svc.Name, built)
		h.st.UI.Status("Image "+build.ImageName(h.st.Name(), svc.Name, svc.Build, svc.Image), "Built")
	}
	return id, nil
}

// existingImage is --no-build's resolver: the image must already exist.
func (h *Hooks) existingImage(ctx context.Context, svc types.ServiceConfig) (string, error) {
	name := build.ImageName(h.st.Name(), svc.Name, svc.Build, svc.Image)
	in, err := h.eng.ImageInspect(ctx, name)
	if err == nil {
		return in.ID, nil
	}
	if engine.IsNotFound(err) {
		return "", fmt.Errorf("service %q: image %s was not built yet and --no-build was given: run `mlstack build %s` or drop --no-build", svc.Name, name, svc.Name)
	}
	return "", fmt.Errorf("service %q: inspect image %s: %w", svc.Name, name, err)
}

// Rebuild builds service's image afresh for watch's rebuild action: unlike Image it does not reuse
// what this command resolved before, since the files changed since.
func (h *Hooks) Rebuild(ctx context.Context, service string, out io.Writer) (string, error) {
	svc, ok := h.st.Project.Services[service]
	if !ok {
		return "", fmt.Errorf("rebuild: no service %q", service)
	}
	o := h.buildOptions()
	o.Force = false
	id, _, err := build.Service(ctx, h.eng, h.st.Project, svc, o, out)
	return id, err
}

// Build builds (or finds up to date) the images of services, in parallel, and reports each one.
func (h *Hooks) Build(ctx context.Context, services []string) error {
	errs := make([]error, len(services))
	var wg sync.WaitGroup
	for i, n := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := h.st.Project.Services[n]
			_, built, err := h.set.Image(ctx, svc)
			if err != nil {
				h.emit(n, progress.Failed, err.Error())
				errs[i] = err
				return
			}
			what := "Up to date"
			if built {
				what = "Built"
			}
			h.emitBuilt(n, built)
			h.st.UI.Status("Image "+build.ImageName(h.st.Name(), n, svc.Build, svc.Image), what)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// BuildServices lists, sorted, the services with a build section among only (all when only is empty).
func BuildServices(services types.Services, only []string) []string {
	var names []string
	for n, svc := range services {
		if svc.Build != nil && (len(only) == 0 || slices.Contains(only, n)) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}
