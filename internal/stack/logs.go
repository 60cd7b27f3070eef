package stack

import (
	"bytes"
	"context"
	"io"
	"sync"
	"time"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/ui"
)

// LogsOptions are `mlstack logs`'s choices.
type LogsOptions struct {
	Services   []string
	Follow     bool
	Tail       string
	Timestamps bool
	NoPrefix   bool
	Since      string
	Until      string
}

// Logs prints the services' output with coloured prefixes. With Follow, the live part comes from an
// attach stream, because the engine's log copier only hands over a line at '\n' (or a full 16 KB
// buffer), which would freeze '\r' progress bars; history comes from the logs API.
func (s *Stack) Logs(ctx context.Context, o LogsOptions) error {
	if err := s.Project.CheckServices(o.Services); err != nil {
		return err
	}
	cs, err := s.containers(ctx, true, false, o.Services...)
	if err != nil {
		return err
	}
	if err := s.missingLogs(ctx, o.Services, cs); err != nil {
		return err
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = name(c)
	}
	pfx := s.UI.NewPrefixer(names, o.NoPrefix)
	var wg sync.WaitGroup
	errs := make(chan error, len(cs))
	for _, c := range cs {
		w := pfx.Writer(name(c))
		wg.Add(1)
		go func(id string, running bool, w io.Writer) {
			defer wg.Done()
			defer ui.Flush(w)
			lo := engine.LogOptions{Tail: o.Tail, Timestamps: o.Timestamps, Since: o.Since, Until: o.Until}
			if !o.Follow || !running || o.Timestamps || o.Until != "" {
				lo.Follow = o.Follow
				errs <- s.api().Logs(ctx, id, false, lo, w, w)
				return
			}
			errs <- s.followLive(ctx, id, lo, w)
		}(c.ID, c.State == "running", w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && ctx.Err() == nil {
			return err
		}
	}
	return nil
}

// followLive attaches first (buffering), then prints history up to the moment the attach was in
// place, then the buffered and live output. A line printed in the instant between the two may show
// twice; none is lost.
func (s *Stack) followLive(ctx context.Context, id string, lo engine.LogOptions, w io.Writer) error {
	sw := &switchWriter{buf: &bytes.Buffer{}}
	in, err := s.api().ContainerInspect(ctx, id)
	if err != nil {
		return err
	}
	tty := in.Config != nil && in.Config.Tty
	done, err := s.api().Attach(ctx, id, tty, sw, sw)
	if err != nil {
		return err
	}
	lo.Until = time.Now().Format(time.RFC3339Nano)
	if err := s.api().Logs(ctx, id, tty, lo, w, w); err != nil {
		return err
	}
	sw.switchTo(w)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return nil
	}
}

// switchWriter buffers until switchTo, then writes through.
type switchWriter struct {
	mu  sync.Mutex
	buf *bytes.Buffer
	w   io.Writer
}

func (s *switchWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return s.buf.Write(b)
	}
	return s.w.Write(b)
}

func (s *switchWriter) switchTo(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Write(s.buf.Bytes())
	s.w = w
}
