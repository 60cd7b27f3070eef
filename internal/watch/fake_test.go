package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/events"

	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/syncd"
	"github.com/mlstack/mlstack/internal/testenv"
	"github.com/mlstack/mlstack/internal/ui"
)

// fakeActions is an engine with no engine: containers are names, and each one's sync helper is a
// real syncd server applying changes under the host directories the rules target.
type fakeActions struct {
	t                                       *testing.T
	mu                                      sync.Mutex
	running                                 []runningContainer
	down                                    map[string]bool // ids that IsRunning reports as not running
	user                                    string
	calls                                   []string
	conns                                   map[string]*fakeConn
	exit                                    int
	execErr                                 error
	image                                   string
	buildErr, upErr, restartErr, connectErr error
	events                                  chan events.Message
	evErrs                                  chan error
}

func newFakeActions(t *testing.T, running ...runningContainer) *fakeActions {
	return &fakeActions{t: t, running: running, down: map[string]bool{}, conns: map[string]*fakeConn{},
		events: make(chan events.Message, 16), evErrs: make(chan error, 1)}
}

func (f *fakeActions) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeActions) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeActions) Up(ctx context.Context, services []string) error {
	f.record("up %v", services)
	return f.upErr
}

func (f *fakeActions) Events(ctx context.Context) (<-chan events.Message, <-chan error) {
	return f.events, f.evErrs
}

func (f *fakeActions) Running(ctx context.Context) ([]runningContainer, error) {
	return f.running, nil
}

func (f *fakeActions) IsRunning(ctx context.Context, id string) bool { return !f.down[id] }

func (f *fakeActions) Connect(ctx context.Context, id string, roots []string) (helperConn, error) {
	f.record("connect %s", id)
	if f.connectErr != nil {
		return nil, f.connectErr
	}
	c := startFakeConn(f.t, roots)
	f.mu.Lock()
	f.conns[id] = c
	f.mu.Unlock()
	return c, nil
}

func (f *fakeActions) User(ctx context.Context, id string) (string, error) { return f.user, nil }

func (f *fakeActions) ResolveUser(ctx context.Context, id, spec string) (syncd.Owner, bool, error) {
	if spec == "" {
		return syncd.Owner{}, false, nil
	}
	var o syncd.Owner
	if _, err := fmt.Sscanf(spec, "%d:%d", &o.UID, &o.GID); err != nil {
		return o, false, fmt.Errorf("user %q: no such user", spec)
	}
	return o, true, nil
}

func (f *fakeActions) Restart(ctx context.Context, id string, timeout *int) error {
	if timeout != nil {
		f.record("restart %s %ds", id, *timeout)
	} else {
		f.record("restart %s", id)
	}
	return f.restartErr
}

func (f *fakeActions) Exec(ctx context.Context, id string, hook types.ServiceHook, out io.Writer) (int, error) {
	f.record("exec %s %s", id, strings.Join(hook.Command, " "))
	fmt.Fprintln(out, "reloaded")
	return f.exit, f.execErr
}

func (f *fakeActions) Rebuild(ctx context.Context, service string, out io.Writer) (string, error) {
	f.record("build %s", service)
	return f.image, f.buildErr
}

func (f *fakeActions) Recreate(ctx context.Context, services []string, images map[string]string) error {
	f.record("recreate %v %v", services, images)
	return f.upErr
}

// fakeConn is a syncd client wired to a syncd server in this process.
type fakeConn struct {
	*syncd.Client
	in      *io.PipeWriter
	done    chan struct{}
	mu      sync.Mutex
	batches []syncd.Batch
	broken  bool
}

func startFakeConn(t *testing.T, roots []string) *fakeConn {
	reqR, reqW := io.Pipe()
	ackR, ackW := io.Pipe()
	c := &fakeConn{Client: syncd.NewClient(reqW, ackR), in: reqW, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		err := syncd.Serve(context.Background(), reqR, ackW)
		ackW.CloseWithError(errors.Join(err, io.EOF))
	}()
	if err := c.Hello(context.Background(), roots); err != nil {
		t.Fatalf("hello: %v", err)
	}
	return c
}

func (c *fakeConn) Apply(ctx context.Context, b syncd.Batch) (time.Duration, error) {
	c.mu.Lock()
	c.batches = append(c.batches, b)
	broken := c.broken
	c.mu.Unlock()
	if broken {
		return 0, errors.New("exec stream closed")
	}
	return c.Client.Apply(ctx, b)
}

func (c *fakeConn) Batches() []syncd.Batch {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]syncd.Batch(nil), c.batches...)
}

func (c *fakeConn) Done() <-chan struct{} { return c.done }

func (c *fakeConn) Close() { c.in.Close() }

// testSession builds a session over services with a fake engine and captured output.
func testSession(t *testing.T, o SessionOptions, act *fakeActions, services ...types.ServiceConfig) (*session, *testenv.SyncBuffer, *testenv.SyncBuffer) {
	t.Helper()
	p := &project.Project{Project: &types.Project{Name: "demo", Services: types.Services{}}, All: types.Services{}}
	for _, s := range services {
		p.Services[s.Name] = s
		p.All[s.Name] = s
	}
	out, errOut := &testenv.SyncBuffer{}, &testenv.SyncBuffer{}
	s, err := newSession(p, o, &reporter{ui: ui.Test(nil, out, errOut), quiet: o.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	s.act = act
	return s, out, errOut
}

// watched is a service with develop.watch triggers.
func watched(name string, triggers ...types.Trigger) types.ServiceConfig {
	return types.ServiceConfig{Name: name, Develop: &types.DevelopConfig{Watch: triggers}}
}
