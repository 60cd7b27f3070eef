package engine

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
)

// ExecOptions describe a command to run in a running container.
type ExecOptions struct {
	Cmd        []string
	User       string
	WorkingDir string
	Env        []string
	Privileged bool
	// TTY gives the command a terminal: its output comes as one stream.
	TTY bool
	// Stdin attaches the command's standard input (write it through Exec.Write).
	Stdin bool
	// Detach starts the command and returns at once; the Exec then has only its ID.
	Detach bool
}

// Exec is a started exec: its ID and, unless detached, the stream to and from the command. Every
// exec of mlstack (`mlstack exec`, early health probes, watch's exec hooks and its sync helper)
// starts through StartExec.
type Exec struct {
	ID   string
	api  ExecAPI
	tty  bool
	resp *types.HijackedResponse
}

// ExecAPI is the part of the Engine API an exec uses: *Client has it, and so does an in-memory
// engine (internal/enginefake), which runs its execs through StartExecOn.
type ExecAPI interface {
	ContainerExecCreate(ctx context.Context, id string, options container.ExecOptions) (container.ExecCreateResponse, error)
	ContainerExecStart(ctx context.Context, execID string, options container.ExecStartOptions) error
	ContainerExecAttach(ctx context.Context, execID string, options container.ExecAttachOptions) (types.HijackedResponse, error)
	ContainerExecInspect(ctx context.Context, execID string) (container.ExecInspect, error)
	ContainerExecResize(ctx context.Context, execID string, options container.ResizeOptions) error
}

// StartExec creates and starts a command in container id.
func (c *Client) StartExec(ctx context.Context, id string, o ExecOptions) (*Exec, error) {
	return StartExecOn(ctx, c, id, o)
}

// StartExecOn creates and starts a command in container id through api.
func StartExecOn(ctx context.Context, api ExecAPI, id string, o ExecOptions) (*Exec, error) {
	created, err := api.ContainerExecCreate(ctx, id, container.ExecOptions{
		Cmd: o.Cmd, User: o.User, WorkingDir: o.WorkingDir, Env: o.Env, Privileged: o.Privileged, Tty: o.TTY,
		AttachStdin: o.Stdin && !o.Detach, AttachStdout: !o.Detach, AttachStderr: !o.Detach,
	})
	if err != nil {
		return nil, err
	}
	e := &Exec{ID: created.ID, api: api, tty: o.TTY}
	if o.Detach {
		if err := api.ContainerExecStart(ctx, created.ID, container.ExecStartOptions{Detach: true, Tty: o.TTY}); err != nil {
			return nil, err
		}
		return e, nil
	}
	resp, err := api.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{Tty: o.TTY})
	if err != nil {
		return nil, err
	}
	e.resp = &resp
	return e, nil
}

// Write writes to the command's standard input (ExecOptions.Stdin).
func (e *Exec) Write(p []byte) (int, error) { return e.resp.Conn.Write(p) }

// CloseWrite ends the command's standard input.
func (e *Exec) CloseWrite() error { return e.resp.CloseWrite() }

// Close drops the stream.
func (e *Exec) Close() {
	if e.resp != nil {
		e.resp.Close()
	}
}

// Copy copies the command's output to stdout and stderr (with a TTY, all of it to stdout) until it
// ends; a stream the engine or Close ended returns nil.
func (e *Exec) Copy(stdout, stderr io.Writer) error {
	return demux(e.resp.Reader, e.tty, stdout, stderr)
}

// Resize tells the command's terminal its size.
func (e *Exec) Resize(ctx context.Context, height, width uint) error {
	return e.api.ContainerExecResize(ctx, e.ID, container.ResizeOptions{Height: height, Width: width})
}

// ExitCode asks the engine for the command's exit code once its output ended.
func (e *Exec) ExitCode(ctx context.Context) (int, error) {
	in, err := e.api.ContainerExecInspect(ctx, e.ID)
	if err != nil {
		return -1, fmt.Errorf("exit code of exec %.12s: %w", e.ID, err)
	}
	return in.ExitCode, nil
}

// Exec runs a command in container id to its end, with its output to stdout and stderr (nil
// discards), and returns its exit code.
func (c *Client) Exec(ctx context.Context, id string, o ExecOptions, stdout, stderr io.Writer) (int, error) {
	return ExecOn(ctx, c, id, o, stdout, stderr)
}

// ExecOn is Exec through api.
func ExecOn(ctx context.Context, api ExecAPI, id string, o ExecOptions, stdout, stderr io.Writer) (int, error) {
	o.Stdin, o.Detach = false, false
	e, err := StartExecOn(ctx, api, id, o)
	if err != nil {
		return -1, err
	}
	defer e.Close()
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	if err := e.Copy(stdout, stderr); err != nil && !errors.Is(err, io.EOF) {
		return -1, fmt.Errorf("read exec output: %w", err)
	}
	return e.ExitCode(context.WithoutCancel(ctx))
}
