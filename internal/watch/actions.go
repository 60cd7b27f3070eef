package watch

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/syncd"
)

// actions are what a watch session does to the engine and its containers. The session decides;
// an actions value carries it out. engineActions is the real one; tests use a fake.
type actions interface {
	// Up brings services (all when empty) up, detached, waiting for them to be ready.
	Up(ctx context.Context, services []string) error
	// Events follows start, die and destroy of the project's service containers.
	Events(ctx context.Context) (<-chan events.Message, <-chan error)
	// Running lists the project's running service containers, sorted by name.
	Running(ctx context.Context) ([]runningContainer, error)
	// IsRunning reports whether container id runs now (and is not restarting).
	IsRunning(ctx context.Context, id string) bool
	// Connect installs the sync helper in container id and starts it, allowed to change roots.
	Connect(ctx context.Context, id string, roots []string) (helperConn, error)
	// User returns the user container id runs as, from its config ("" for the image's root default).
	User(ctx context.Context, id string) (string, error)
	// ResolveUser turns a user spec into numeric ids, reading the container's /etc/passwd and /etc/group when needed.
	ResolveUser(ctx context.Context, id, spec string) (syncd.Owner, bool, error)
	// Restart restarts container id, giving it timeout seconds to stop (nil: the engine's default).
	Restart(ctx context.Context, id string, timeout *int) error
	// Exec runs hook in container id with its output on out and returns its exit code.
	Exec(ctx context.Context, id string, hook types.ServiceHook, out io.Writer) (int, error)
	// Rebuild builds service's image when its inputs changed and returns its ID ("" when building is left to Recreate).
	Rebuild(ctx context.Context, service string, out io.Writer) (string, error)
	// Recreate recreates services without their dependencies, using images[service] where given.
	Recreate(ctx context.Context, services []string, images map[string]string) error
}

// helperConn is a running sync helper in one container.
type helperConn interface {
	Apply(ctx context.Context, b syncd.Batch) (time.Duration, error)
	List(ctx context.Context, root string, hash bool) ([]syncd.Entry, error)
	Stat(ctx context.Context, p string) (syncd.Entry, error)
	// Done is closed when the helper's stream ends.
	Done() <-chan struct{}
	Close()
}

// runningContainer is one running container of the project.
type runningContainer struct {
	id, name, service string
}

// engineActions carries a session's decisions out on the Docker engine.
type engineActions struct {
	st     *stack.Stack
	helper *HelperBinary
	// up is the template for starting services (Images and Devices set by the caller's features).
	up      stack.UpOptions
	rebuild Rebuilder
}

func (a *engineActions) Up(ctx context.Context, services []string) error {
	up := a.up
	up.Services, up.Detach, up.Wait = services, true, true
	return a.st.Up(ctx, up)
}

func (a *engineActions) Events(ctx context.Context) (<-chan events.Message, <-chan error) {
	return a.st.Eng.ContainerEvents(ctx, labels.ProjectFilter(a.st.Name()), labels.OneOff+"=False")
}

func (a *engineActions) Running(ctx context.Context) ([]runningContainer, error) {
	f := filters.NewArgs(filters.Arg("label", labels.ProjectFilter(a.st.Name())), filters.Arg("label", labels.OneOff+"=False"))
	cs, err := a.st.Eng.ContainerList(ctx, container.ListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list containers of project %q: %w", a.st.Name(), err)
	}
	out := make([]runningContainer, 0, len(cs))
	for _, c := range cs {
		out = append(out, runningContainer{id: c.ID, name: strings.TrimPrefix(c.Names[0], "/"), service: c.Labels[labels.Service]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func (a *engineActions) IsRunning(ctx context.Context, id string) bool {
	in, err := a.st.Eng.ContainerInspect(ctx, id)
	return err == nil && in.State != nil && in.State.Running && !in.State.Restarting
}

func (a *engineActions) Connect(ctx context.Context, id string, roots []string) (helperConn, error) {
	if err := a.helper.Install(ctx, a.st.Eng, id); err != nil {
		return nil, err
	}
	return a.helper.Connect(ctx, a.st.Eng, id, roots)
}

func (a *engineActions) User(ctx context.Context, id string) (string, error) {
	in, err := a.st.Eng.ContainerInspect(ctx, id)
	if err != nil {
		return "", fmt.Errorf("inspect: %w", err)
	}
	if in.Config == nil {
		return "", nil
	}
	return in.Config.User, nil
}

func (a *engineActions) ResolveUser(ctx context.Context, id, spec string) (syncd.Owner, bool, error) {
	return containerUser(ctx, a.st.Eng, id, spec)
}

func (a *engineActions) Restart(ctx context.Context, id string, timeout *int) error {
	return a.st.Eng.ContainerRestart(ctx, id, container.StopOptions{Timeout: timeout})
}

func (a *engineActions) Exec(ctx context.Context, id string, hook types.ServiceHook, out io.Writer) (int, error) {
	eng := a.st.Eng
	var env []string
	for k, v := range hook.Environment {
		if v == nil {
			env = append(env, k)
		} else {
			env = append(env, k+"="+*v)
		}
	}
	sort.Strings(env)
	return eng.Exec(ctx, id, engine.ExecOptions{
		User: hook.User, Privileged: hook.Privileged, WorkingDir: hook.WorkingDir, Env: env, Cmd: hook.Command,
	}, out, out)
}

func (a *engineActions) Rebuild(ctx context.Context, service string, out io.Writer) (string, error) {
	if a.rebuild == nil {
		return "", nil
	}
	return a.rebuild(ctx, service, out)
}

func (a *engineActions) Recreate(ctx context.Context, services []string, images map[string]string) error {
	up := a.up
	if len(images) > 0 {
		// Resolvers may remember what they resolved at start; a rebuilt service gets its new image.
		prev := up.Images
		if prev == nil {
			prev = a.st.DefaultImage
		}
		up.Images = func(ctx context.Context, svc types.ServiceConfig) (string, error) {
			if id, ok := images[svc.Name]; ok {
				return id, nil
			}
			return prev(ctx, svc)
		}
	}
	up.Services, up.NoDeps, up.Detach, up.Wait = services, true, true, false
	return a.st.Up(ctx, up)
}
