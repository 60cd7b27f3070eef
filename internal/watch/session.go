package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/graph"
	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/syncd"
	"github.com/mlstack/mlstack/internal/ui"
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
	// dirty remembers every container path changed since watching began (→ host path), so a
	// container that was down or recreated is brought up to date.
	dirty map[string]string
	ctrs  map[string]*target
}

// target is one running container of a watched service.
type target struct {
	id, name string
	conn     *Conn
	// owners gives files under each root their owner; nil for root-owned targets.
	owners map[string]*syncd.Owner
	// synced is set once an initial sync ran, so a later reconnect knows it is a re-sync.
	synced bool
}

// session is one run of Watch.
type session struct {
	st       *stack.Stack
	o        SessionOptions
	helper   *HelperBinary
	services map[string]*service
	order    []string
	width    int
	lost     chan string
}

// Watch brings the project up (unless NoUp), then mirrors changes under each service's
// develop.watch paths into its running containers until ctx ends, when it returns nil and leaves
// the stack running.
func Watch(ctx context.Context, st *stack.Stack, o SessionOptions) error {
	s := &session{st: st, o: o, services: map[string]*service{}, lost: make(chan string, 16)}
	if err := s.selectServices(); err != nil {
		return err
	}
	if s.needsHelper() {
		h, err := FindHelper(o.Helper)
		if err != nil {
			return err
		}
		s.helper = h
	}
	if !o.NoUp {
		up := o.Up
		up.Services, up.Detach, up.Wait = o.Services, true, true
		if err := st.Up(ctx, up); err != nil {
			return err
		}
	}
	var all []*Rule
	for _, n := range s.order {
		all = append(all, s.services[n].rules...)
	}
	// Watches exist before the first sync, so nothing edited during it is missed.
	w, err := NewWatcher(all, o.Debounce)
	if err != nil {
		return err
	}
	defer w.Close()
	for _, r := range all {
		if _, err := os.Stat(r.Path); err != nil {
			st.UI.Warn("service %q: watch path %s does not exist; nothing is watched there", r.Service, r.Path)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	evs, evErrs := st.Eng.ContainerEvents(ctx, labels.ProjectFilter(st.Name()), labels.OneOff+"=False")
	if err := s.findRunning(ctx); err != nil {
		s.closeAll()
		return err
	}
	s.announce(w.Watches())
	defer s.closeAll()

	flushes := make(chan Flush)
	watchErr := make(chan error, 1)
	go func() { watchErr <- w.Run(ctx, flushes) }()
	for {
		select {
		case <-ctx.Done():
			st.UI.Info("Stopped watching; the stack is still running (`mlstack down` stops it)")
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
			return fmt.Errorf("follow engine events of project %q: %w", st.Name(), err)
		case ev := <-evs:
			s.onEvent(ctx, ev)
		case id := <-s.lost:
			s.onLost(ctx, id)
		case f := <-flushes:
			s.apply(ctx, f)
		}
	}
}

// selectServices picks the watched services and compiles their rules.
func (s *session) selectServices() error {
	p := s.st.Project
	names := s.o.Services
	explicit := len(names) > 0
	if explicit {
		if err := p.CheckServices(names); err != nil {
			return err
		}
	} else {
		names = p.ServiceNames()
	}
	for _, n := range names {
		svc := p.Services[n]
		if svc.Develop == nil || len(svc.Develop.Watch) == 0 {
			if explicit {
				return fmt.Errorf("service %q has no develop.watch rules to follow", n)
			}
			continue
		}
		rules, err := RulesFor(svc)
		if err != nil {
			return err
		}
		sv := &service{name: n, rules: rules, dirty: map[string]string{}, ctrs: map[string]*target{}}
		for _, r := range rules {
			switch r.Action {
			case types.WatchActionSync, types.WatchActionSyncRestart, types.WatchActionSyncExec:
				if r.Target == "" {
					return fmt.Errorf("service %q: watch rule %q (%s) needs a target", n, r.Path, r.Action)
				}
				sv.roots = append(sv.roots, r.Target)
			case types.WatchActionRebuild:
				if svc.Build == nil {
					return fmt.Errorf("service %q: watch rule %q rebuilds, but the service has no build section", n, r.Path)
				}
			case types.WatchActionRestart:
			default:
				return fmt.Errorf("service %q: watch rule %q: unknown action %q (want sync, rebuild, restart, sync+restart or sync+exec)", n, r.Path, r.Action)
			}
			if r.Action == types.WatchActionSyncExec && len(r.Exec.Command) == 0 {
				return fmt.Errorf("service %q: watch rule %q is sync+exec without exec.command", n, r.Path)
			}
		}
		s.services[n] = sv
		s.order = append(s.order, n)
		s.width = max(s.width, len(n))
	}
	if len(s.order) == 0 {
		return errors.New("no service has develop.watch rules: add a develop.watch block to a service (see docs/watch.md)")
	}
	return nil
}

func (s *session) needsHelper() bool {
	for _, sv := range s.services {
		if len(sv.roots) > 0 {
			return true
		}
	}
	return false
}

func (s *session) announce(watches int) {
	var parts []string
	for _, n := range s.order {
		for _, r := range s.services[n].rules {
			rel := r.Path
			if wd := s.st.Project.WorkingDir; wd != "" {
				if x, err := filepath.Rel(wd, r.Path); err == nil && !strings.HasPrefix(x, "..") {
					rel = "./" + filepath.ToSlash(x)
				}
			}
			to := string(r.Action)
			if r.Target != "" {
				to = r.Target + " (" + to + ")"
			}
			parts = append(parts, fmt.Sprintf("%s: %s → %s", n, rel, to))
		}
	}
	s.st.UI.Info("Watching %s [%d directories]; Ctrl-C stops watching and leaves the stack running", strings.Join(parts, ", "), watches)
}

// findRunning connects to every running container of the watched services.
func (s *session) findRunning(ctx context.Context) error {
	f := filters.NewArgs(filters.Arg("label", labels.ProjectFilter(s.st.Name())), filters.Arg("label", labels.OneOff+"=False"))
	cs, err := s.st.Eng.ContainerList(ctx, container.ListOptions{Filters: f})
	if err != nil {
		return fmt.Errorf("list containers of project %q: %w", s.st.Name(), err)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Names[0] < cs[j].Names[0] })
	for _, c := range cs {
		sv := s.services[c.Labels[labels.Service]]
		if sv == nil {
			continue
		}
		// The first connection failing is fatal: it is nearly always a setup problem (a dynamic
		// binary, a foreign architecture, a read-only root) that every later one would repeat.
		if err := s.connect(ctx, sv, c.ID, strings.TrimPrefix(c.Names[0], "/")); err != nil {
			return err
		}
	}
	for _, n := range s.order {
		if len(s.services[n].ctrs) == 0 {
			s.st.UI.Warn("service %q has no running container yet; changes are applied once it starts", n)
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
	eng := s.st.Eng
	if err := s.helper.Install(ctx, eng, id); err != nil {
		return fmt.Errorf("service %q: container %s: %w", sv.name, name, err)
	}
	conn, err := s.helper.Connect(ctx, eng, id, sv.roots)
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
func (s *session) owners(ctx context.Context, sv *service, t *target) (map[string]*syncd.Owner, error) {
	in, err := s.st.Eng.ContainerInspect(ctx, t.id)
	if err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	out := map[string]*syncd.Owner{}
	user := ""
	if in.Config != nil {
		user = in.Config.User
	}
	o, ok, err := containerUser(ctx, s.st.Eng, t.id, user)
	if err != nil {
		s.st.UI.Warn("service %q: %v; synced files get the owner of their target directory", sv.name, err)
	}
	for _, root := range sv.roots {
		if ok {
			out[root] = &o
			continue
		}
		e, err := t.conn.Stat(ctx, root)
		if err != nil {
			return nil, err
		}
		if e.UID != 0 || e.GID != 0 {
			out[root] = &syncd.Owner{UID: e.UID, GID: e.GID}
		}
	}
	return out, nil
}

// ownerOf returns the owner for container path p.
func (t *target) ownerOf(p string) *syncd.Owner {
	best, owner := "", (*syncd.Owner)(nil)
	for root, o := range t.owners {
		if (p == root || strings.HasPrefix(p, root+"/") || root == "/") && len(root) > len(best) {
			best, owner = root, o
		}
	}
	return owner
}

// resync brings a container that was just found up to date: the initial sync (unless turned off)
// compares whole trees, and every path changed since watching began is replayed, which carries
// deletes made while the container was down.
func (s *session) resync(ctx context.Context, sv *service, t *target) error {
	var ops []syncd.Op
	seen := map[string]bool{}
	for _, r := range sv.rules {
		// A rule's explicit initial_sync: true holds even under --no-initial-sync.
		if isSync(r.Action) && (!s.o.NoInitialSync || r.InitialSync) {
			rops, err := s.diff(ctx, t, r)
			if err != nil {
				return err
			}
			for _, op := range rops {
				seen[op.Path] = true
			}
			ops = append(ops, rops...)
		}
	}
	if t.synced || len(sv.dirty) > 0 {
		var writes []syncd.Op
		for cp, hp := range sv.dirty {
			if seen[cp] {
				continue
			}
			if _, err := os.Lstat(hp); err != nil {
				ops = append(ops, syncd.RemoveOp(cp))
			} else if s.o.NoInitialSync {
				writes = append(writes, s.writeOp(t, hp, cp))
			}
		}
		sort.Slice(writes, func(i, j int) bool { return writes[i].Path < writes[j].Path })
		ops = append(ops, writes...)
	}
	first := !t.synced
	t.synced = true
	if len(ops) == 0 {
		if first && !s.o.Quiet && !s.o.NoInitialSync {
			s.line(sv, t, "up to date")
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
	if !s.o.Quiet {
		s.line(sv, t, fmt.Sprintf("synced %s in %s (%s)", count(ops), millis(took), what))
	}
	return nil
}

// diff compares rule r's host tree with its target in the container and returns the ops that make
// the container match: writes of missing or different files, and with Prune removes of extras.
// Paths the rule ignores are never touched, and nothing outside the target is listed.
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
	if !hostFI.IsDir() {
		// A file rule: only "." is meaningful on either side.
		ctr = onlyRoot(ctr)
	}
	writes, removes := syncd.Diff(host, ctr, r.Ignored)
	var ops []syncd.Op
	rewritten := map[string]bool{}
	for _, w := range writes {
		rewritten[w] = true
	}
	for _, rm := range removes {
		// Without --prune only a path that changed type goes (it is written again).
		if s.o.Prune || rewritten[rm] {
			ops = append(ops, syncd.RemoveOp(path.Join(r.Target, rm)))
		}
	}
	for _, w := range writes {
		ops = append(ops, s.writeOp(t, filepath.Join(r.Path, filepath.FromSlash(w)), path.Join(r.Target, w)))
	}
	return ops, nil
}

func onlyRoot(es []syncd.Entry) []syncd.Entry {
	for _, e := range es {
		if e.Path == "." {
			return []syncd.Entry{e}
		}
	}
	return nil
}

func (s *session) writeOp(t *target, host, ctr string) syncd.Op {
	op := syncd.WriteOp(host, ctr)
	op.Owner = t.ownerOf(ctr)
	return op
}

func isSync(a types.WatchAction) bool {
	return a == types.WatchActionSync || a == types.WatchActionSyncRestart || a == types.WatchActionSyncExec
}

// apply carries one flush to the containers of the services it concerns.
func (s *session) apply(ctx context.Context, f Flush) {
	type work struct {
		changes []Change
		restart bool
		rebuild bool
		execs   []types.ServiceHook
	}
	byService := map[string]*work{}
	var names []string
	for _, g := range f.Groups {
		w := byService[g.Rule.Service]
		if w == nil {
			w = &work{}
			byService[g.Rule.Service] = w
			names = append(names, g.Rule.Service)
		}
		switch g.Rule.Action {
		case types.WatchActionRebuild:
			w.rebuild = true
		case types.WatchActionRestart:
			w.restart = true
		case types.WatchActionSyncRestart:
			w.restart = true
		case types.WatchActionSyncExec:
			w.execs = append(w.execs, g.Rule.Exec)
		}
		if isSync(g.Rule.Action) {
			sv := s.services[g.Rule.Service]
			for _, c := range g.Changes {
				sv.dirty[c.ContainerPath] = c.HostPath
			}
			w.changes = append(w.changes, g.Changes...)
		}
	}
	if f.Rescan {
		// Events were lost: compare whole trees, as when a container is found.
		for _, n := range s.order {
			sv := s.services[n]
			for _, t := range sv.ctrs {
				if t.conn != nil {
					if err := s.resync(ctx, sv, t); err != nil && ctx.Err() == nil {
						s.st.UI.Warn("%v", err)
					}
				}
			}
		}
	}
	for _, n := range names {
		sv, w := s.services[n], byService[n]
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
			s.st.UI.Warn("service %q: no running container to restart", n)
		}
	}
}

// targets lists a service's containers by name, for stable output.
func (s *session) targets(sv *service) []*target {
	out := make([]*target, 0, len(sv.ctrs))
	for _, t := range sv.ctrs {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// syncBatch applies one batch to one container and reports whether it got there.
func (s *session) syncBatch(ctx context.Context, sv *service, t *target, changes []Change) bool {
	ops := make([]syncd.Op, 0, len(changes))
	for _, c := range changes {
		if c.Kind == Remove {
			ops = append(ops, syncd.RemoveOp(c.ContainerPath))
		} else {
			ops = append(ops, s.writeOp(t, c.HostPath, c.ContainerPath))
		}
	}
	took, err := t.conn.Apply(ctx, syncd.Batch{Ops: ops})
	if err != nil && !s.ackOnly(sv, t, err) {
		if ctx.Err() == nil {
			// The stream broke, nearly always because the container is stopping: the change is
			// remembered and replayed when the container is back.
			s.drop(sv, t)
		}
		return false
	}
	if !s.o.Quiet {
		s.line(sv, t, fmt.Sprintf("synced %s in %s", count(ops), millis(took)))
	}
	return true
}

// ackOnly reports (and forgives) failures of single ops; it returns false for a broken stream.
func (s *session) ackOnly(sv *service, t *target, err error) bool {
	var ae *syncd.AckError
	if !errors.As(err, &ae) {
		return false
	}
	s.st.UI.Warn("service %q: container %s: %d change(s) not applied: %s", sv.name, t.name, len(ae.Errors), strings.Join(ae.Errors, "; "))
	return true
}

func (s *session) drop(sv *service, t *target) {
	if t.conn != nil {
		t.conn.Close()
		t.conn = nil
	}
}

// restart restarts a container after a sync; its start event reconnects the helper.
func (s *session) restart(ctx context.Context, sv *service, t *target) {
	start := time.Now()
	s.drop(sv, t)
	var timeout *int
	if sv := s.st.Project.Services[sv.name]; sv.StopGracePeriod != nil {
		secs := int(time.Duration(*sv.StopGracePeriod).Seconds())
		timeout = &secs
	}
	if err := s.st.Eng.ContainerRestart(ctx, t.id, container.StopOptions{Timeout: timeout}); err != nil {
		if ctx.Err() == nil {
			s.st.UI.Warn("service %q: restart %s: %v", sv.name, t.name, err)
		}
		return
	}
	if !s.o.Quiet {
		s.line(sv, t, fmt.Sprintf("restarted in %s", millis(time.Since(start))))
	}
}

// exec runs a sync+exec command in the container and shows its output under the service's name.
func (s *session) exec(ctx context.Context, sv *service, t *target, hook types.ServiceHook) {
	eng := s.st.Eng
	var env []string
	for k, v := range hook.Environment {
		if v == nil {
			env = append(env, k)
		} else {
			env = append(env, k+"="+*v)
		}
	}
	sort.Strings(env)
	cmd := strings.Join(hook.Command, " ")
	fail := func(err error) {
		if ctx.Err() == nil {
			s.st.UI.Warn("service %q: exec %q in %s: %v", sv.name, cmd, t.name, err)
		}
	}
	out := s.st.UI.NewPrefixer([]string{sv.name}, false).Writer(sv.name)
	code, err := eng.Exec(ctx, t.id, engine.ExecOptions{
		User: hook.User, Privileged: hook.Privileged, WorkingDir: hook.WorkingDir, Env: env, Cmd: hook.Command,
	}, out, out)
	ui.Flush(out)
	if err != nil {
		fail(err)
		return
	}
	if code != 0 {
		s.st.UI.Warn("service %q: %q exited with code %d in %s", sv.name, cmd, code, t.name)
	}
}

// rebuild builds the service's image and recreates it, with the dependents that asked to be
// restarted along with it (depends_on restart: true).
func (s *session) rebuild(ctx context.Context, sv *service) {
	start := time.Now()
	s.st.UI.Info("%-*s  rebuilding", s.width, sv.name)
	up := s.o.Up
	if s.o.Rebuild != nil {
		id, err := s.o.Rebuild(ctx, sv.name, s.st.UI.NewPrefixer([]string{sv.name}, false).Writer(sv.name))
		if err != nil {
			if ctx.Err() == nil {
				s.st.UI.Warn("service %q: rebuild failed, the running container is kept: %v", sv.name, err)
			}
			return
		}
		// Resolvers may remember what they resolved at start; the rebuilt service gets the new image.
		prev := up.Images
		if prev == nil {
			prev = s.st.DefaultImage
		}
		up.Images = func(ctx context.Context, svc types.ServiceConfig) (string, error) {
			if svc.Name == sv.name {
				return id, nil
			}
			return prev(ctx, svc)
		}
	}
	services := []string{sv.name}
	if g, err := graph.New(s.st.Project.Services); err == nil {
		for _, d := range g.Dependents(sv.name) {
			for _, e := range g.Deps(d) {
				if e.To == sv.name && e.Restart {
					services = append(services, d)
				}
			}
		}
	}
	up.Services, up.NoDeps, up.Detach, up.Wait = services, true, true, false
	for _, t := range sv.ctrs {
		s.drop(sv, t)
	}
	if err := s.st.Up(ctx, up); err != nil {
		if ctx.Err() == nil {
			s.st.UI.Warn("service %q: recreate after rebuild: %v", sv.name, err)
		}
		return
	}
	s.line(sv, nil, fmt.Sprintf("rebuilt and recreated in %s", millis(time.Since(start))))
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
			s.drop(sv, t)
		}
	case events.ActionDestroy:
		if t := sv.ctrs[id]; t != nil {
			s.drop(sv, t)
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
		s.drop(sv, t)
		in, err := s.st.Eng.ContainerInspect(ctx, id)
		if err != nil || in.State == nil || !in.State.Running || in.State.Restarting {
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
	if in, ierr := s.st.Eng.ContainerInspect(ctx, id); ierr == nil && in.State != nil && in.State.Running && !in.State.Restarting {
		s.st.UI.Warn("%v", err)
	}
}

func (s *session) closeAll() {
	for _, sv := range s.services {
		for _, t := range sv.ctrs {
			s.drop(sv, t)
		}
	}
}

// line prints one result line: the service (or container, when it runs several) and what happened.
func (s *session) line(sv *service, t *target, what string) {
	who := sv.name
	if t != nil && len(sv.ctrs) > 1 {
		who = t.name
	}
	fmt.Fprintf(s.st.UI.Out, "%-*s  %s\n", s.width, who, what)
}

func count(ops []syncd.Op) string {
	n, rm := 0, 0
	for _, op := range ops {
		n++
		if op.Kind == syncd.OpRemove {
			rm++
		}
	}
	out := fmt.Sprintf("%d file", n)
	if n != 1 {
		out += "s"
	}
	if rm > 0 {
		out += fmt.Sprintf(" (%d removed)", rm)
	}
	return out
}

func millis(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}
