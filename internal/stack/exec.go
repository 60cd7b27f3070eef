package stack

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/engine"
)

// ExecOptions are `mlstack exec`'s choices.
type ExecOptions struct {
	Service string
	// Index picks the service's container by number (default 1).
	Index      int
	Command    []string
	Env        []string
	WorkingDir string
	User       string
	Privileged bool
	// Detach starts the command and returns without waiting.
	Detach bool
	// TTY gives the command a terminal (the caller puts its own terminal in raw mode).
	TTY bool
	// Stdin, when set, is forwarded to the command until it ends.
	Stdin io.Reader
	// Stdout and Stderr receive the command's output (with TTY, everything goes to Stdout).
	Stdout, Stderr io.Writer
	// TermSize reports the caller's terminal size (height, width); Resized signals a change.
	TermSize func() (height, width uint, ok bool)
	Resized  <-chan struct{}
}

// Exec runs a command in a running service container and returns its exit code (0 when detached).
func (s *Stack) Exec(ctx context.Context, o ExecOptions) (int, error) {
	if err := s.checkKnown([]string{o.Service}); err != nil {
		return 0, err
	}
	c, err := s.serviceContainer(ctx, o.Service, o.Index, true)
	if err != nil {
		return 0, err
	}
	stdin := o.Stdin != nil && !o.Detach
	ex, err := s.api().StartExec(ctx, c.ID, engine.ExecOptions{
		User: o.User, Privileged: o.Privileged, TTY: o.TTY, Env: o.Env, WorkingDir: o.WorkingDir, Cmd: o.Command,
		Stdin: stdin, Detach: o.Detach,
	})
	if err != nil {
		return 0, fmt.Errorf("exec in service %q (container %s): %w", o.Service, name(c), err)
	}
	if o.Detach {
		return 0, nil
	}
	defer ex.Close()
	if o.TTY && o.TermSize != nil {
		resize := func() {
			if h, w, ok := o.TermSize(); ok {
				_ = ex.Resize(ctx, h, w)
			}
		}
		resize()
		go func() {
			for {
				select {
				case <-o.Resized:
					resize()
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	if stdin {
		// Input ends the command's stdin when it ends; the command's exit, not stdin, ends the exec.
		go func() {
			_, _ = io.Copy(ex, o.Stdin)
			_ = ex.CloseWrite()
		}()
	}
	out := make(chan error, 1)
	go func() { out <- ex.Copy(o.Stdout, o.Stderr) }()
	select {
	case err := <-out:
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("exec in service %q: read output: %w", o.Service, err)
		}
	case <-ctx.Done():
		return 0, ErrInterrupted
	}
	code, err := ex.ExitCode(context.WithoutCancel(ctx))
	if err != nil {
		return 0, fmt.Errorf("exec in service %q: %w", o.Service, err)
	}
	return code, nil
}

// serviceContainer finds a service's container by number; running requires it to be running.
func (s *Stack) serviceContainer(ctx context.Context, service string, index int, running bool) (container.Summary, error) {
	if index <= 0 {
		index = 1
	}
	cs, err := s.containers(ctx, true, false, service)
	if err != nil {
		return container.Summary{}, err
	}
	for _, c := range cs {
		if number(c) != index {
			continue
		}
		if running && c.State != "running" {
			return c, fmt.Errorf("service %q is not running (container %s is %s); start it with `mlstack start %s`", service, name(c), c.State, service)
		}
		return c, nil
	}
	if len(cs) == 0 {
		return container.Summary{}, fmt.Errorf("service %q has no container; run `mlstack up %s` first", service, service)
	}
	return container.Summary{}, fmt.Errorf("service %q has no container number %d (it has %d)", service, index, len(cs))
}
