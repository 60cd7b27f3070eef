package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/events"

	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/syncd"
)

// Rebuilder builds a service's image when its inputs changed, writing the build's progress to
// out, and returns the image ID.
type Rebuilder func(ctx context.Context, service string, out io.Writer) (imageID string, err error)

// SessionOptions configure Watch.
type SessionOptions struct {
	// Services to watch; empty means every service with develop.watch rules.
	Services []string
	// NoUp skips bringing the project up first.
	NoUp bool
	// NoInitialSync skips comparing each sync target with the host tree when a container is found.
	NoInitialSync bool
	// Prune removes files under a sync target that the host tree does not have (initial sync only).
	Prune bool
	// Quiet drops the line printed per synced batch.
	Quiet bool
	// Up is the template for starting services (Images and Devices set by the caller's features).
	Up stack.UpOptions
	// Rebuild builds an image for the rebuild action; nil leaves building to Up.Images.
	Rebuild Rebuilder
	// Debounce tunes batching.
	Debounce Options
	// Helper is the static executable copied into containers (default: mlstack's own).
	Helper string
}

// service is one watched service and what its rules need.
type service struct {
	name  string
	rules []*Rule
	// roots are the container targets of the sync rules, which the helper may change.
	roots []string
	// dirty remembers the last change of every container path since watching began, so a
	// container that was down or recreated is brought up to date.
	dirty map[string]Change
	ctrs  map[string]*target
}

// target is one running container of a watched service.
type target struct {
	id, name string
	conn     helperConn
	// owners gives files under each root their owner; nil for root-owned targets.
	owners owners
	// synced is set once an initial sync ran, so a later reconnect knows it is a re-sync.
	synced bool
}

// session is one run of Watch: it follows file flushes and container events, decides with the
// functions of plan.go, acts through act and reports through out.
type session struct {
	act      actions
	project  *project.Project
	o        SessionOptions
	out      *reporter
	services map[string]*service
	order    []string
	lost     chan string
}

// Watch brings the project up (unless NoUp), then mirrors changes under each service's
// develop.watch paths into its running containers until ctx ends, when it returns nil and leaves
// the stack running.
func Watch(ctx context.Context, st *stack.Stack, o SessionOptions) error {
	s, err := newSession(st.Project, o, &reporter{ui: st.UI, quiet: o.Quiet})
	if err != nil {
		return err
	}
	act := &engineActions{st: st, up: o.Up, rebuild: o.Rebuild}
	if s.needsHelper() {
		if act.helper, err = FindHelper(o.Helper); err != nil {
			return err
		}
	}
	s.act = act
	return s.run(ctx)
}

// newSession picks the watched services and compiles their rules.
func newSession(p *project.Project, o SessionOptions, out *reporter) (*session, error) {
	s := &session{project: p, o: o, out: out, services: map[string]*service{}, lost: make(chan string, 16)}
	names := o.Services
	explicit := len(names) > 0
	if explicit {
		if err := p.CheckServices(names); err != nil {
			return nil, err
		}
	} else {
		names = p.ServiceNames()
	}
	for _, n := range names {
		svc := p.Services[n]
		if svc.Develop == nil || len(svc.Develop.Watch) == 0 {
			if explicit {
				return nil, fmt.Errorf("service %q has no develop.watch rules to follow", n)
			}
			continue
		}
		sv, err := newService(svc)
		if err != nil {
			return nil, err
		}
		s.services[n] = sv
		s.order = append(s.order, n)
		s.out.width = max(s.out.width, len(n))
	}
	if len(s.order) == 0 {
		return nil, errors.New("no service has develop.watch rules: add a develop.watch block to a service (see docs/watch.md)")
	}
	return s, nil
}

// newService compiles svc's rules and checks each has what its action needs.
func newService(svc types.ServiceConfig) (*service, error) {
	n := svc.Name
	rules, err := RulesFor(svc)
	if err != nil {
		return nil, err
	}
	sv := &service{name: n, rules: rules, dirty: map[string]Change{}, ctrs: map[string]*target{}}
	for _, r := range rules {
		switch r.Action {
		case types.WatchActionSync, types.WatchActionSyncRestart, types.WatchActionSyncExec:
			if r.Target == "" {
				return nil, fmt.Errorf("service %q: watch rule %q (%s) needs a target", n, r.Path, r.Action)
			}
			sv.roots = append(sv.roots, r.Target)
		case types.WatchActionRebuild:
			if svc.Build == nil {
				return nil, fmt.Errorf("service %q: watch rule %q rebuilds, but the service has no build section", n, r.Path)
			}
		case types.WatchActionRestart:
		default:
			return nil, fmt.Errorf("service %q: watch rule %q: unknown action %q (want sync, rebuild, restart, sync+restart or sync+exec)", n, r.Path, r.Action)
		}
		if r.Action == types.WatchActionSyncExec && len(r.Exec.Command) == 0 {
			return nil, fmt.Errorf("service %q: watch rule %q is sync+exec without exec.command", n, r.Path)
		}
	}
	return sv, nil
}

func (s *session) needsHelper() bool {
	for _, sv := range s.services {
		if len(sv.roots) > 0 {
			return true
		}
	}
	return false
}

// run is the session's loop: up, watch, connect, then apply flushes and follow events until ctx ends.
func (s *session) run(ctx context.Context) error {
	if !s.o.NoUp {
		if err := s.act.Up(ctx, s.o.Services); err != nil {
			return err
		}
	}
	var all []*Rule
	for _, n := range s.order {
		all = append(all, s.services[n].rules...)
	}
	// Watches exist before the first sync, so nothing edited during it is missed.
	w, err := NewWatcher(all, s.o.Debounce)
	if err != nil {
		return err
	}
	defer w.Close()
	for _, r := range all {
		if _, err := os.Stat(r.Path); err != nil {
			s.out.warn("service %q: watch path %s does not exist; nothing is watched there", r.Service, r.Path)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	evs, evErrs := s.act.Events(ctx)
	defer s.closeAll()
	if err := s.findRunning(ctx); err != nil {
		return err
	}
	s.out.announce(s.order, s.services, s.project.WorkingDir, w.Watches())

	flushes := make(chan Flush)
	watchErr := make(chan error, 1)
	go func() { watchErr <- w.Run(ctx, flushes) }()
	for {
		select {
		case <-ctx.Done():
			s.out.info("Stopped watching; the stack is still running (`mlstack down` stops it)")
			return nil
		case err := <-watchErr:
			if ctx.Err() != nil {
				continue
			}
			return err
		case err := <-evErrs:
			if ctx.Err() != nil {
				continue
			}
			return fmt.Errorf("follow engine events of project %q: %w", s.project.Name, err)
		case ev := <-evs:
			s.onEvent(ctx, ev)
		case id := <-s.lost:
			s.onLost(ctx, id)
		case f := <-flushes:
			s.apply(ctx, f)
		}
	}
}

// findRunning connects to every running container of the watched services.
func (s *session) findRunning(ctx context.Context) error {
	cs, err := s.act.Running(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		sv := s.services[c.service]
		if sv == nil {
			continue
		}
		// The first connection failing is fatal: it is nearly always a setup problem (a dynamic
		// binary, a foreign architecture, a read-only root) that every later one would repeat.
		if err := s.connect(ctx, sv, c.id, c.name); err != nil {
			return err
		}
	}
	for _, n := range s.order {
		if len(s.services[n].ctrs) == 0 {
			s.out.warn("service %q has no running container yet; changes are applied once it starts", n)
		}
	}
	return nil
}

// connect starts the helper in a container of sv and brings it up to date.
func (s *session) connect(ctx context.Context, sv *service, id, name string) error {
	t := sv.ctrs[id]
	if t == nil {
		t = &target{id: id, name: name}
		sv.ctrs[id] = t
	}
	if t.conn != nil || len(sv.roots) == 0 {
		return nil
	}
	conn, err := s.act.Connect(ctx, id, sv.roots)
	if err != nil {
		return fmt.Errorf("service %q: container %s: %w", sv.name, name, err)
	}
	t.conn = conn
	go func() {
		<-conn.Done()
		select {
		case s.lost <- id:
		case <-ctx.Done():
		}
	}()
	if t.owners == nil {
		if t.owners, err = s.owners(ctx, sv, t); err != nil {
			return fmt.Errorf("service %q: container %s: %w", sv.name, name, err)
		}
	}
	return s.resync(ctx, sv, t)
}

// owners decides who owns synced files per target: the container's user when it has one,
// else the owner of the target directory (or of its nearest existing parent).
func (s *session) owners(ctx context.Context, sv *service, t *target) (owners, error) {
	spec, err := s.act.User(ctx, t.id)
	if err != nil {
		return nil, err
	}
	o, ok, err := s.act.ResolveUser(ctx, t.id, spec)
	if err != nil {
		s.out.warn("service %q: %v; synced files get the owner of their target directory", sv.name, err)
	}
	return ownersFor(sv.roots, o, ok, func(root string) (syncd.Entry, error) { return t.conn.Stat(ctx, root) })
}

// resync brings a container that was just found up to date: the initial sync (unless turned off)
// compares whole trees, and every path changed since watching began is replayed, which carries
// deletes made while the container was down.
func (s *session) resync(ctx context.Context, sv *service, t *target) error {
	var ops []syncd.Op
	covered := map[string]bool{}
	for _, r := range sv.rules {
		// A rule's explicit initial_sync: true holds even under --no-initial-sync.
		if isSync(r.Action) && (!s.o.NoInitialSync || r.InitialSync) {
			rops, err := s.diff(ctx, t, r)
			if err != nil {
				return err
			}
			for _, op := range rops {
				covered[op.Path] = true
			}
			ops = append(ops, rops...)
		}
	}
	if t.synced || len(sv.dirty) > 0 {
		ops = append(ops, replayOps(sv.dirty, covered, hostStateOf, s.o.NoInitialSync, t.owners)...)
	}
	first := !t.synced
	t.synced = true
	if len(ops) == 0 {
		if first && !s.o.NoInitialSync {
			s.out.result(s.who(sv, t), "up to date")
		}
		return nil
	}
	took, err := t.conn.Apply(ctx, syncd.Batch{Ops: ops})
	if err != nil && !s.ackOnly(sv, t, err) {
		return fmt.Errorf("service %q: sync container %s: %w", sv.name, t.name, err)
	}
	what := "re-sync"
	if first {
		what = "initial sync"
	}
	s.out.result(s.who(sv, t), fmt.Sprintf("synced %s in %s (%s)", count(ops), millis(took), what))
	return nil
}

func hostStateOf(c Change) hostState {
	if belowLink(c.Root, c.HostPath, os.Lstat) {
		return hostBelowLink
	}
	if _, err := os.Lstat(c.HostPath); err != nil {
		return hostAbsent
	}
	return hostPresent
}

// diff lists rule r's host tree and its target in the container and returns the ops that make
// the container match (see treeOps). A missing host path changes nothing.
func (s *session) diff(ctx context.Context, t *target, r *Rule) ([]syncd.Op, error) {
	hostFI, err := os.Stat(r.Path)
	if err != nil {
		return nil, nil
	}
	host, err := syncd.Manifest(r.Path, syncd.ManifestOptions{Skip: r.Skip})
	if err != nil {
		return nil, err
	}
	ctr, err := t.conn.List(ctx, r.Target, false)
	if err != nil {
		return nil, err
	}
	return treeOps(r, host, ctr, !hostFI.IsDir(), s.o.Prune, t.owners), nil
}

// apply carries one flush to the containers of the services it concerns.
func (s *session) apply(ctx context.Context, f Flush) {
	works := plan(f)
	for _, w := range works {
		sv := s.services[w.service]
		for _, c := range w.changes {
			sv.dirty[c.ContainerPath] = c
		}
	}
	if f.Rescan {
		// Events were lost: compare whole trees, as when a container is found.
		for _, n := range s.order {
			sv := s.services[n]
			for _, t := range sv.ctrs {
				if t.conn != nil {
					if err := s.resync(ctx, sv, t); err != nil && ctx.Err() == nil {
						s.out.warn("%v", err)
					}
				}
			}
		}
	}
	for _, w := range works {
		sv := s.services[w.service]
		if w.rebuild {
			// The new container is found through its start event and re-synced then.
			s.rebuild(ctx, sv)
			continue
		}
		for _, t := range s.targets(sv) {
			if t.conn == nil {
				continue // down: its start event brings a re-sync
			}
			if len(w.changes) > 0 && !s.syncBatch(ctx, sv, t, w.changes) {
				continue
			}
			for _, hook := range w.execs {
				s.exec(ctx, sv, t, hook)
			}
			if w.restart {
				s.restart(ctx, sv, t)
			}
		}
		if len(sv.ctrs) == 0 && w.restart {
			s.out.warn("service %q: no running container to restart", sv.name)
		}
	}
}

// targets lists a service's containers by name, for stable output.
func (s *session) targets(sv *service) []*target {
	out := make([]*target, 0, len(sv.ctrs))
	for _, t := range sv.ctrs {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *target) int { return strings.Compare(a.name, b.name) })
	return out
}

// syncBatch applies one batch to one container and reports whether it got there.
func (s *session) syncBatch(ctx context.Context, sv *service, t *target, changes []Change) bool {
	ops := changeOps(changes, t.owners)
	took, err := t.conn.Apply(ctx, syncd.Batch{Ops: ops})
	if err != nil && !s.ackOnly(sv, t, err) {
		if ctx.Err() == nil {
			// The stream broke, nearly always because the container is stopping: the change is
			// remembered and replayed when the container is back.
			s.drop(t)
		}
		return false
	}
	s.out.result(s.who(sv, t), fmt.Sprintf("synced %s in %s", count(ops), millis(took)))
	return true
}

// ackOnly reports (and forgives) failures of single ops; it returns false for a broken stream.
func (s *session) ackOnly(sv *service, t *target, err error) bool {
	var ae *syncd.AckError
	if !errors.As(err, &ae) {
		return false
	}
	s.out.warn("service %q: container %s: %d change(s) not applied: %s", sv.name, t.name, len(ae.Errors), strings.Join(ae.Errors, "; "))
	return true
}

func (s *session) drop(t *target) {
	if t.conn != nil {
		t.conn.Close()
		t.conn = nil
	}
}

// restart restarts a container after a sync; its start event reconnects the helper.
func (s *session) restart(ctx context.Context, sv *service, t *target) {
	start := time.Now()
	s.drop(t)
	var timeout *int
	if svc := s.project.Services[sv.name]; svc.StopGracePeriod != nil {
		secs := int(time.Duration(*svc.StopGracePeriod).Seconds())
		timeout = &secs
	}
	if err := s.act.Restart(ctx, t.id, timeout); err != nil {
		if ctx.Err() == nil {
			s.out.warn("service %q: restart %s: %v", sv.name, t.name, err)
		}
		return
	}
	s.out.result(s.who(sv, t), fmt.Sprintf("restarted in %s", millis(time.Since(start))))
}

// exec runs a sync+exec command in the container and shows its output under the service's name.
func (s *session) exec(ctx context.Context, sv *service, t *target, hook types.ServiceHook) {
	cmd := strings.Join(hook.Command, " ")
	out := s.out.output(sv.name)
	code, err := s.act.Exec(ctx, t.id, hook, out)
	flushOutput(out)
	switch {
	case err != nil && ctx.Err() == nil:
		s.out.warn("service %q: exec %q in %s: %v", sv.name, cmd, t.name, err)
	case err == nil && code != 0:
		s.out.warn("service %q: %q exited with code %d in %s", sv.name, cmd, code, t.name)
	}
}

// rebuild builds the service's image and recreates it, with the dependents that asked to be
// restarted along with it (depends_on restart: true).
func (s *session) rebuild(ctx context.Context, sv *service) {
	start := time.Now()
	s.out.info("%-*s  rebuilding", s.out.width, sv.name)
	progress := s.out.output(sv.name)
	id, err := s.act.Rebuild(ctx, sv.name, progress)
	flushOutput(progress)
	if err != nil {
		if ctx.Err() == nil {
			s.out.warn("service %q: rebuild failed, the running container is kept: %v", sv.name, err)
		}
		return
	}
	var images map[string]string
	if id != "" {
		images = map[string]string{sv.name: id}
	}
	for _, t := range sv.ctrs {
		s.drop(t)
	}
	if err := s.act.Recreate(ctx, recreated(s.project.Services, sv.name), images); err != nil {
		if ctx.Err() == nil {
			s.out.warn("service %q: recreate after rebuild: %v", sv.name, err)
		}
		return
	}
	s.out.line(sv.name, fmt.Sprintf("rebuilt and recreated in %s", millis(time.Since(start))))
}

// onEvent follows containers of watched services as they start, stop and go away.
func (s *session) onEvent(ctx context.Context, ev events.Message) {
	sv := s.services[ev.Actor.Attributes[labels.Service]]
	if sv == nil {
		return
	}
	id := ev.Actor.ID
	switch ev.Action {
	case events.ActionStart:
		name := ev.Actor.Attributes["name"]
		if t := sv.ctrs[id]; t != nil && t.conn != nil {
			return
		}
		if err := s.connect(ctx, sv, id, name); err != nil {
			s.connectFailed(ctx, id, err)
		}
	case events.ActionDie:
		if t := sv.ctrs[id]; t != nil {
			s.drop(t)
		}
	case events.ActionDestroy:
		if t := sv.ctrs[id]; t != nil {
			s.drop(t)
			delete(sv.ctrs, id)
		}
	}
}

// onLost handles a helper stream that ended: when the container still runs, the helper itself
// died, so it is started again; otherwise the container's next start reconnects.
func (s *session) onLost(ctx context.Context, id string) {
	for _, sv := range s.services {
		t := sv.ctrs[id]
		if t == nil || t.conn == nil {
			continue
		}
		select {
		case <-t.conn.Done():
		default:
			return // an older connection's end; the current one is alive
		}
		s.drop(t)
		if !s.act.IsRunning(ctx, id) {
			return
		}
		if err := s.connect(ctx, sv, id, t.name); err != nil {
			s.connectFailed(ctx, id, err)
		}
	}
}

// connectFailed reports a failed (re)connection unless the container went down meanwhile, which
// is expected while it restarts: its next start event reconnects.
func (s *session) connectFailed(ctx context.Context, id string, err error) {
	if ctx.Err() != nil {
		return
	}
	if s.act.IsRunning(ctx, id) {
		s.out.warn("%v", err)
	}
}

func (s *session) closeAll() {
	for _, sv := range s.services {
		for _, t := range sv.ctrs {
			s.drop(t)
		}
	}
}

// who names the subject of a result line: the service, or the container when it runs several.
func (s *session) who(sv *service, t *target) string {
	if t != nil && len(sv.ctrs) > 1 {
		return t.name
	}
	return sv.name
}
