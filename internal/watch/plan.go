package watch

import (
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/graph"
	"github.com/mlstack/mlstack/internal/syncd"
)

// The functions in this file decide what a watch session does; they read no files and call no
// engine, so they are tested with tables.

// work is what one flush asks of one service.
type work struct {
	service string
	// changes are the synced paths, removes first per rule, in rule order.
	changes []Change
	restart bool
	rebuild bool
	execs   []types.ServiceHook
}

// plan groups a flush per service, in the order the services' rules first appear in it.
func plan(f Flush) []*work {
	var out []*work
	byService := map[string]*work{}
	for _, g := range f.Groups {
		w := byService[g.Rule.Service]
		if w == nil {
			w = &work{service: g.Rule.Service}
			byService[g.Rule.Service] = w
			out = append(out, w)
		}
		switch g.Rule.Action {
		case types.WatchActionRebuild:
			w.rebuild = true
		case types.WatchActionRestart, types.WatchActionSyncRestart:
			w.restart = true
		case types.WatchActionSyncExec:
			w.execs = append(w.execs, g.Rule.Exec)
		}
		if isSync(g.Rule.Action) {
			w.changes = append(w.changes, g.Changes...)
		}
	}
	return out
}

func isSync(a types.WatchAction) bool {
	return a == types.WatchActionSync || a == types.WatchActionSyncRestart || a == types.WatchActionSyncExec
}

// owners maps the container directories a helper may change to the owner new files get there.
type owners map[string]*syncd.Owner

// of returns the owner for container path p: that of the deepest root holding it, or nil.
func (o owners) of(p string) *syncd.Owner {
	best, owner := "", (*syncd.Owner)(nil)
	for root, ow := range o {
		if (p == root || strings.HasPrefix(p, root+"/") || root == "/") && len(root) > len(best) {
			best, owner = root, ow
		}
	}
	return owner
}

// writeOp copies host path host (read without following a symlink out of root) to container path
// ctr with the owner ctr gets.
func (o owners) writeOp(root, host, ctr string) syncd.Op {
	op := syncd.WriteOp(host, ctr)
	op.Root = root
	op.Owner = o.of(ctr)
	return op
}

// changeOps turns a batch of changes into the ops of one round trip.
func changeOps(changes []Change, o owners) []syncd.Op {
	ops := make([]syncd.Op, 0, len(changes))
	for _, c := range changes {
		if c.Kind == Remove {
			ops = append(ops, syncd.RemoveOp(c.ContainerPath))
		} else {
			ops = append(ops, o.writeOp(c.Root, c.HostPath, c.ContainerPath))
		}
	}
	return ops
}

// treeOps returns the ops that make rule r's target match the host tree, from the two manifests:
// writes of missing or different paths and, with prune, removes of extras. Without prune only a
// path that changed type is removed (it is written again). Paths the rule ignores are never
// touched. fileRule says r watches one file, so only "." counts in the container listing.
func treeOps(r *Rule, host, ctr []syncd.Entry, fileRule, prune bool, o owners) []syncd.Op {
	if fileRule {
		ctr = onlyRoot(ctr)
	}
	writes, removes := syncd.Diff(host, ctr, r.Ignored)
	var ops []syncd.Op
	rewritten := map[string]bool{}
	for _, w := range writes {
		rewritten[w] = true
	}
	for _, rm := range removes {
		if prune || rewritten[rm] {
			ops = append(ops, syncd.RemoveOp(path.Join(r.Target, rm)))
		}
	}
	for _, w := range writes {
		ops = append(ops, o.writeOp(r.Path, filepath.Join(r.Path, filepath.FromSlash(w)), path.Join(r.Target, w)))
	}
	return ops
}

func onlyRoot(es []syncd.Entry) []syncd.Entry {
	for _, e := range es {
		if e.Path == "." {
			return []syncd.Entry{e}
		}
	}
	return nil
}

// hostState is what a replayed change's host path is now.
type hostState int

const (
	hostPresent hostState = iota
	hostAbsent
	// hostBelowLink: a parent directory became a symlink; the link's own change carries it.
	hostBelowLink
)

// replayOps carries the changes made since watching began (by container path) to a container
// that was down or recreated: removes of the paths the host lacks now and, when no tree
// comparison ran (rewrite), writes of the rest. Paths the tree comparison already covered, and
// paths now below a symlink, are skipped.
func replayOps(dirty map[string]Change, covered map[string]bool, state func(Change) hostState, rewrite bool, o owners) []syncd.Op {
	var removes, writes []syncd.Op
	for cp, c := range dirty {
		if covered[cp] {
			continue
		}
		switch state(c) {
		case hostAbsent:
			removes = append(removes, syncd.RemoveOp(cp))
		case hostPresent:
			if rewrite {
				writes = append(writes, o.writeOp(c.Root, c.HostPath, cp))
			}
		}
	}
	byPath := func(ops []syncd.Op) {
		sort.Slice(ops, func(i, j int) bool { return ops[i].Path < ops[j].Path })
	}
	byPath(removes)
	byPath(writes)
	return append(removes, writes...)
}

// recreated lists the services a rebuild of name recreates: itself, then its dependents that
// declare depends_on restart: true on it.
func recreated(services types.Services, name string) []string {
	out := []string{name}
	g, err := graph.New(services)
	if err != nil {
		return out
	}
	for _, d := range g.Dependents(name) {
		for _, e := range g.Deps(d) {
			if e.To == name && e.Restart {
				out = append(out, d)
			}
		}
	}
	return out
}

// ownersFor decides who owns synced files per root: the container's user when it has one (ok),
// else the owner of the root directory (or of its nearest existing parent) as stat reports it;
// root-owned roots get no owner.
func ownersFor(roots []string, user syncd.Owner, ok bool, stat func(root string) (syncd.Entry, error)) (owners, error) {
	out := owners{}
	for _, root := range roots {
		if ok {
			u := user
			out[root] = &u
			continue
		}
		e, err := stat(root)
		if err != nil {
			return nil, err
		}
		if e.UID != 0 || e.GID != 0 {
			out[root] = &syncd.Owner{UID: e.UID, GID: e.GID}
		}
	}
	return out, nil
}
