package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/stdcopy"
)

// ContainerEvents subscribes to the engine's container events for the given label filters
// ("key=value"). Subscribe before acting, then inspect once, so nothing falls between the two.
func (c *Client) ContainerEvents(ctx context.Context, labelFilters ...string) (<-chan events.Message, <-chan error) {
	f := filters.NewArgs(filters.Arg("type", string(events.ContainerEventType)))
	for _, l := range labelFilters {
		f.Add("label", l)
	}
	return c.Events(ctx, events.ListOptions{Filters: f})
}

// Attach connects to a container's output before it starts, so nothing it prints is missed, and
// copies stdout and stderr to the writers until the container's streams close. The returned channel
// yields the copy's result once.
func (c *Client) Attach(ctx context.Context, id string, tty bool, stdout, stderr io.Writer) (<-chan error, error) {
	return c.AttachIO(ctx, id, tty, nil, stdout, stderr)
}

// AttachIO attaches stdin as well, for interactive one-off jobs; closing stdin's source ends input.
func (c *Client) AttachIO(ctx context.Context, id string, tty bool, stdin io.Reader, stdout, stderr io.Writer) (<-chan error, error) {
	resp, err := c.ContainerAttach(ctx, id, container.AttachOptions{Stream: true, Stdin: stdin != nil, Stdout: true, Stderr: true})
	if err != nil {
		return nil, fmt.Errorf("attach to %s: %w", id, err)
	}
	if stdin != nil {
		go func() {
			io.Copy(resp.Conn, stdin)
			resp.CloseWrite()
		}()
	}
	done := make(chan error, 1)
	go func() {
		defer resp.Close()
		done <- demux(resp.Reader, tty, stdout, stderr)
	}()
	go func() {
		<-ctx.Done()
		resp.Close()
	}()
	return done, nil
}

// LogOptions select which of a container's past output to read.
type LogOptions struct {
	Follow     bool
	Tail       string // "all" or a number
	Timestamps bool
	Since      string
	Until      string
}

// Logs copies a container's logged output to the writers.
func (c *Client) Logs(ctx context.Context, id string, tty bool, o LogOptions, stdout, stderr io.Writer) error {
	tail := o.Tail
	if tail == "" {
		tail = "all"
	}
	rc, err := c.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: o.Follow, Tail: tail, Timestamps: o.Timestamps, Since: o.Since, Until: o.Until})
	if err != nil {
		return fmt.Errorf("logs of %s: %w", id, err)
	}
	defer rc.Close()
	return demux(rc, tty, stdout, stderr)
}

// LastLines returns up to n last lines of a container's output, for error reports.
func (c *Client) LastLines(ctx context.Context, id string, n int) []string {
	var b strings.Builder
	inspect, err := c.ContainerInspect(ctx, id)
	if err != nil {
		return nil
	}
	tty := inspect.Config != nil && inspect.Config.Tty
	if err := c.Logs(ctx, id, tty, LogOptions{Tail: fmt.Sprint(n)}, &b, &b); err != nil {
		return nil
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		// Keep the last redraw of a progress line only.
		l := sc.Text()
		if i := strings.LastIndex(l, "\r"); i >= 0 {
			l = l[i+1:]
		}
		lines = append(lines, l)
	}
	return lines
}

func demux(r io.Reader, tty bool, stdout, stderr io.Writer) error {
	var err error
	if tty {
		_, err = io.Copy(stdout, r)
	} else {
		_, err = stdcopy.StdCopy(stdout, stderr, r)
	}
	if err != nil && (err == io.EOF || strings.Contains(err.Error(), "use of closed network connection")) {
		return nil
	}
	return err
}

// Pull pulls one image, reading the engine's progress stream for its verdict: the pull call itself
// succeeds even when the registry refuses, and only the stream says so.
func (c *Client) Pull(ctx context.Context, ref string) error {
	rc, err := c.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := json.NewDecoder(rc)
	for {
		var m struct {
			Error string `json:"error"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}
