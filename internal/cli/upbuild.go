package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/build"
	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/progress"
	"github.com/mlstack/mlstack/internal/stack"
)

// buildFlags are the image flags of commands that start services.
type buildFlags struct {
	build   bool
	noBuild bool
	pull    string
}

// addBuildFlags adds --build/--no-build/--pull to commands that start services.
func addBuildFlags(cmd *cobra.Command) *buildFlags {
	f := &buildFlags{}
	fl := cmd.Flags()
	fl.BoolVar(&f.build, "build", false, "build images even when their inputs are unchanged")
	fl.BoolVar(&f.noBuild, "no-build", false, "never build: a service whose image was not built yet fails")
	fl.StringVar(&f.pull, "pull", "", "pull images: always, missing or never (default: each service's pull_policy)")
	return f
}

// prepare checks the flags and sets o.Images so that services with build: are built when their
// inputs changed.
func (f *buildFlags) prepare(ctx context.Context, env *app.Env, st *stack.Stack, o *stack.UpOptions) error {
	if f.build && f.noBuild {
		return usageErr("--build and --no-build cannot be combined")
	}
	switch f.pull {
	case "", types.PullPolicyAlways, types.PullPolicyMissing, types.PullPolicyNever:
	default:
		return usageErr("--pull %q: want always, missing or never", f.pull)
	}
	set, err := newBuildSet(env, st, build.Options{Force: f.build, Pull: f.pull == types.PullPolicyAlways}, nil)
	if err != nil {
		return err
	}
	o.Images = func(ctx context.Context, svc types.ServiceConfig) (string, error) {
		if svc.Build == nil {
			if f.pull != "" {
				svc.PullPolicy = f.pull
			}
			return st.DefaultImage(ctx, svc)
		}
		if f.noBuild {
			return existingImage(ctx, st, svc)
		}
		id, built, err := set.Image(ctx, svc)
		if err != nil {
			return "", err
		}
		if built {
			emitBuilt(st, svc.Name, built)
			env.UI.Status("Image "+build.ImageName(st.Name(), svc.Name, svc.Build, svc.Image), "Built")
		}
		return id, nil
	}
	return nil
}

// newBuildSet prepares builds whose output is prefixed with the service name and whose warnings go
// through the UI. only, when set, limits the services that get a writer. A service's first line of
// builder output says, on the progress stream, that its build runs.
func newBuildSet(env *app.Env, st *stack.Stack, o build.Options, only []string) (*build.Set, error) {
	names := buildServices(st, only)
	pfx := env.UI.NewPrefixer(names, false).LinesWhenPiped()
	writers := map[string]io.Writer{}
	for _, n := range names {
		writers[n] = &buildingWriter{w: pfx.Writer(n), emit: func() { emitState(st, n, progress.Building, "") }}
	}
	o.Quiet = o.Quiet || env.UI.Quiet()
	o.Warn = func(msg string) { env.UI.Warn("%s", msg) }
	return build.NewSet(st.Eng, st.Project, o, func(service string) io.Writer {
		if w, ok := writers[service]; ok {
			return w
		}
		return env.UI.Out
	})
}

// buildingWriter calls emit before the first bytes it passes on, and again at most once a second
// while output flows, so a progress view knows the build is alive.
type buildingWriter struct {
	w    io.Writer
	mu   sync.Mutex
	last time.Time
	emit func()
}

func (b *buildingWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	if now := time.Now(); now.Sub(b.last) >= time.Second {
		b.last = now
		b.emit()
	}
	b.mu.Unlock()
	return b.w.Write(p)
}

// emitState puts one transition on the stack's progress stream, when it has one.
func emitState(st *stack.Stack, service string, state progress.State, detail string) {
	if st.Progress != nil {
		st.Progress.Emit(progress.ServiceState{Service: service, State: state, Detail: detail, Time: time.Now()})
	}
}

// emitBuilt says a service's image is ready: built now, or up to date.
func emitBuilt(st *stack.Stack, service string, built bool) {
	detail := "up to date"
	if built {
		detail = ""
	}
	emitState(st, service, progress.Built, detail)
}

// buildServices lists, sorted, the services with a build section among only (all when only is empty).
func buildServices(st *stack.Stack, only []string) []string {
	var names []string
	for n, svc := range st.Project.Services {
		if svc.Build != nil {
			names = append(names, n)
		}
	}
	if len(only) > 0 {
		want := map[string]bool{}
		for _, n := range only {
			want[n] = true
		}
		kept := names[:0]
		for _, n := range names {
			if want[n] {
				kept = append(kept, n)
			}
		}
		names = kept
	}
	sort.Strings(names)
	return names
}

// existingImage is --no-build's resolver: the image must already exist.
func existingImage(ctx context.Context, st *stack.Stack, svc types.ServiceConfig) (string, error) {
	name := build.ImageName(st.Name(), svc.Name, svc.Build, svc.Image)
	in, err := st.Eng.ImageInspect(ctx, name)
	if err == nil {
		return in.ID, nil
	}
	if engine.IsNotFound(err) {
		return "", fmt.Errorf("service %q: image %s was not built yet and --no-build was given: run `mlstack build %s` or drop --no-build", svc.Name, name, svc.Name)
	}
	return "", fmt.Errorf("service %q: inspect image %s: %w", svc.Name, name, err)
}
