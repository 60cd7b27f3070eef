package stack

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/ui"
)

// attacher follows the output of the containers an attached `up` starts.
type attacher struct {
	s       *Stack
	pfx     *ui.Prefixer
	only    map[string]bool
	mu      sync.Mutex
	wg      sync.WaitGroup
	members map[string]attached // container ID → who
	exited  chan attached
	cancel  context.CancelFunc
	ctx     context.Context
}

type attached struct {
	id, name, service string
	w                 io.Writer
}

func (s *Stack) newAttacher(targets []string, o UpOptions) *attacher {
	names := make([]string, 0, len(targets))
	for _, t := range targets {
		names = append(names, ContainerName(s.Name(), s.Project.Services[t], 1))
	}
	only := map[string]bool{}
	for _, n := range o.Attach {
		only[n] = true
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &attacher{s: s, pfx: s.UI.NewPrefixer(names, o.NoLogPrefix), only: only, members: map[string]attached{}, exited: make(chan attached, 64), ctx: ctx, cancel: cancel}
}

// add attaches to a container before it starts, so its first line is not lost.
func (a *attacher) add(_ context.Context, service, id, cname string, tty bool) error {
	if len(a.only) > 0 && !a.only[service] {
		return nil
	}
	a.mu.Lock()
	if _, ok := a.members[id]; ok {
		a.mu.Unlock()
		return nil
	}
	m := attached{id: id, name: cname, service: service, w: a.pfx.Writer(cname)}
	a.members[id] = m
	a.mu.Unlock()
	done, err := a.s.api().Attach(a.ctx, id, tty, m.w, m.w)
	if err != nil {
		return fmt.Errorf("service %q: %w", service, err)
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		<-done
		ui.Flush(m.w)
		a.exited <- m
	}()
	return nil
}

func (a *attacher) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.members)
}

func (a *attacher) close() { a.cancel() }

// follow streams until every attached container has exited, or Ctrl-C.
func (r *run) follow(ctx context.Context) error {
	a := r.attach
	defer a.close()
	remaining := a.count()
	if remaining == 0 {
		return nil
	}
	r.s.UI.Info("Attaching to %d container(s); Ctrl-C stops them", remaining)
	exitCode := 0
	for remaining > 0 {
		select {
		case m := <-a.exited:
			remaining--
			in, err := r.s.api().ContainerInspect(context.WithoutCancel(ctx), m.id)
			code := 0
			if err == nil && in.State != nil {
				if in.State.Running || in.State.Restarting {
					// The stream closed but the engine restarted the container: follow it again.
					remaining++
					a.mu.Lock()
					delete(a.members, m.id)
					a.mu.Unlock()
					if err := a.add(ctx, m.service, m.id, m.name, in.Config.Tty); err != nil {
						remaining--
					}
					continue
				}
				code = in.State.ExitCode
			}
			r.s.UI.Info("%s exited with code %d", m.name, code)
			// compose returns the first exited container's code under --abort-on-container-exit alone.
			if r.o.ExitCodeFrom == m.service || (r.o.AbortOnExit && r.o.ExitCodeFrom == "") {
				exitCode = code
			}
			if r.o.AbortOnExit || (r.o.ExitCodeFrom != "" && r.o.ExitCodeFrom == m.service) {
				r.s.UI.Info("Aborting on container exit...")
				r.s.stopAttached(r, r.o)
				if exitCode != 0 {
					return &ServiceExit{Code: exitCode}
				}
				return nil
			}
		case <-ctx.Done():
			return r.s.interrupted(r, r.o)
		}
	}
	if exitCode != 0 {
		return &ServiceExit{Code: exitCode}
	}
	return nil
}

// stopAttached stops the attached services' containers (all at once, each with its grace period);
// a second Ctrl-C (o.Kill) kills them instead.
func (s *Stack) stopAttached(r *run, o UpOptions) {
	ctx := context.Background()
	var ids []string
	if r.attach != nil {
		r.attach.mu.Lock()
		for id := range r.attach.members {
			ids = append(ids, id)
		}
		r.attach.mu.Unlock()
	}
	if len(ids) == 0 {
		return
	}
	s.UI.Info("Gracefully stopping... (press Ctrl-C again to force)")
	var wg sync.WaitGroup
	stopped := make(chan struct{})
	for _, id := range ids {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			_ = s.api().ContainerStop(ctx, id, container.StopOptions{Timeout: o.StopTimeout})
		}(id)
	}
	go func() { wg.Wait(); close(stopped) }()
	select {
	case <-stopped:
	case <-o.Kill:
		for _, id := range ids {
			_ = s.api().ContainerKill(ctx, id, "KILL")
		}
		<-stopped
	}
	// Let the attach streams drain their last lines.
	done := make(chan struct{})
	go func() { r.attach.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	r.attach.close()
}
