package watch

import (
	"reflect"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/syncd"
)

func ruleOf(service string, action types.WatchAction, cmd ...string) *Rule {
	return &Rule{Service: service, Action: action, Target: "/app", Exec: types.ServiceHook{Command: cmd}}
}

func TestPlanGroupsAFlushPerService(t *testing.T) {
	w := Change{Kind: Write, HostPath: "/h/a.py", ContainerPath: "/app/a.py"}
	rm := Change{Kind: Remove, HostPath: "/h/b.py", ContainerPath: "/app/b.py"}
	for _, tc := range []struct {
		name  string
		flush Flush
		want  []*work
	}{
		{name: "empty", flush: Flush{}, want: nil},
		{
			name:  "sync carries changes only",
			flush: Flush{Groups: []Group{{Rule: ruleOf("api", types.WatchActionSync), Changes: []Change{rm, w}}}},
			want:  []*work{{service: "api", changes: []Change{rm, w}}},
		},
		{
			name:  "sync+restart syncs then restarts",
			flush: Flush{Groups: []Group{{Rule: ruleOf("api", types.WatchActionSyncRestart), Changes: []Change{w}}}},
			want:  []*work{{service: "api", changes: []Change{w}, restart: true}},
		},
		{
			name:  "restart carries no changes",
			flush: Flush{Groups: []Group{{Rule: ruleOf("api", types.WatchActionRestart), Changes: []Change{w}}}},
			want:  []*work{{service: "api", restart: true}},
		},
		{
			name:  "rebuild carries no changes",
			flush: Flush{Groups: []Group{{Rule: ruleOf("api", types.WatchActionRebuild), Changes: []Change{w}}}},
			want:  []*work{{service: "api", rebuild: true}},
		},
		{
			name:  "sync+exec keeps each rule's command",
			flush: Flush{Groups: []Group{{Rule: ruleOf("api", types.WatchActionSyncExec, "reload"), Changes: []Change{w}}, {Rule: ruleOf("api", types.WatchActionSyncExec, "migrate"), Changes: []Change{rm}}}},
			want:  []*work{{service: "api", changes: []Change{w, rm}, execs: []types.ServiceHook{{Command: []string{"reload"}}, {Command: []string{"migrate"}}}}},
		},
		{
			name: "services in the order their rules appear",
			flush: Flush{Groups: []Group{
				{Rule: ruleOf("web", types.WatchActionSync), Changes: []Change{w}},
				{Rule: ruleOf("api", types.WatchActionRebuild), Changes: []Change{w}},
				{Rule: ruleOf("web", types.WatchActionRestart), Changes: []Change{rm}},
			}},
			want: []*work{{service: "web", changes: []Change{w}, restart: true}, {service: "api", rebuild: true}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := plan(tc.flush); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("plan = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestOwnersPickTheDeepestRoot(t *testing.T) {
	app, data := &syncd.Owner{UID: 1000, GID: 1000}, &syncd.Owner{UID: 2000, GID: 2000}
	o := owners{"/app": app, "/app/data": data}
	for p, want := range map[string]*syncd.Owner{
		"/app": app, "/app/x.py": app, "/app/data": data, "/app/data/x": data,
		"/application/x": nil, "/srv/x": nil, "/app/datax": app,
	} {
		if got := o.of(p); got != want {
			t.Errorf("owner of %s = %v, want %v", p, got, want)
		}
	}
	if got := (owners{"/": app}).of("/anything"); got != app {
		t.Errorf("root / owns everything, got %v", got)
	}
	if got := owners(nil).of("/app/x"); got != nil {
		t.Errorf("no owners: got %v", got)
	}
}

func TestChangeOps(t *testing.T) {
	u := &syncd.Owner{UID: 1, GID: 2}
	got := changeOps([]Change{
		{Kind: Remove, HostPath: "/h/old", ContainerPath: "/app/old"},
		{Kind: Write, HostPath: "/h/new", ContainerPath: "/app/new", Root: "/h"},
	}, owners{"/app": u})
	want := []syncd.Op{
		{Kind: syncd.OpRemove, Path: "/app/old"},
		{Kind: syncd.OpWrite, Path: "/app/new", Source: "/h/new", Root: "/h", Owner: u},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changeOps = %+v, want %+v", got, want)
	}
}

func TestTreeOps(t *testing.T) {
	r := mustRule(t, types.Trigger{Path: tree(t), Action: types.WatchActionSync, Target: "/app"}, "")
	file := func(p string, size int64) syncd.Entry { return syncd.Entry{Path: p, Size: size, Mode: 0o644, MTime: 1} }
	dir := func(p string) syncd.Entry { return syncd.Entry{Path: p, Mode: 0o755 | 1<<31} }
	host := []syncd.Entry{dir("."), file("same.py", 1), file("changed.py", 2), file("new.py", 3), file("wasdir", 4)}
	ctr := []syncd.Entry{dir("."), file("same.py", 1), file("changed.py", 9), file("extra.py", 1), dir("wasdir"), file("wasdir/x", 1)}
	paths := func(ops []syncd.Op) []string {
		var out []string
		for _, op := range ops {
			out = append(out, string(op.Kind)+" "+op.Path)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		prune    bool
		fileRule bool
		host     []syncd.Entry
		want     []string
	}{
		{name: "no prune: only a type change is removed", host: host,
			want: []string{"remove /app/wasdir", "write /app/changed.py", "write /app/new.py", "write /app/wasdir"}},
		{name: "prune removes extras", prune: true, host: host,
			want: []string{"remove /app/extra.py", "remove /app/wasdir", "write /app/changed.py", "write /app/new.py", "write /app/wasdir"}},
		{name: "a file rule compares only itself", fileRule: true, prune: true, host: []syncd.Entry{file(".", 5)},
			want: []string{"remove /app", "write /app"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := paths(treeOps(r, tc.host, ctr, tc.fileRule, tc.prune, nil))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("treeOps = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReplayOps(t *testing.T) {
	dirty := map[string]Change{}
	for _, n := range []string{"b", "a", "gone", "done", "link/x"} {
		dirty["/app/"+n] = Change{Kind: Write, HostPath: "/h/" + n, ContainerPath: "/app/" + n, Root: "/h"}
	}
	exists := func(c Change) hostState {
		switch c.HostPath {
		case "/h/gone":
			return hostAbsent
		case "/h/link/x":
			return hostBelowLink
		}
		return hostPresent
	}
	covered := map[string]bool{"/app/done": true}
	kinds := func(ops []syncd.Op) []string {
		var out []string
		for _, op := range ops {
			out = append(out, string(op.Kind)+" "+op.Path)
		}
		return out
	}
	if got, want := kinds(replayOps(dirty, covered, exists, false, nil)), []string{"remove /app/gone"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after a tree comparison: %q, want %q", got, want)
	}
	if got, want := kinds(replayOps(dirty, covered, exists, true, nil)), []string{"remove /app/gone", "write /app/a", "write /app/b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("without one: %q, want %q", got, want)
	}
}

func TestRecreatedTakesRestartDependents(t *testing.T) {
	worker, ui := types.ServiceConfig{Name: "worker"}, types.ServiceConfig{Name: "ui"}
	worker.DependsOn = types.DependsOnConfig{"api": {Condition: "service_started", Restart: true, Required: true}}
	ui.DependsOn = types.DependsOnConfig{"api": {Condition: "service_started", Required: true}}
	services := types.Services{"api": {Name: "api"}, "worker": worker, "ui": ui}
	if got, want := recreated(services, "api"), []string{"api", "worker"}; !reflect.DeepEqual(got, want) {
		t.Errorf("recreated = %v, want %v", got, want)
	}
	if got, want := recreated(services, "ui"), []string{"ui"}; !reflect.DeepEqual(got, want) {
		t.Errorf("recreated = %v, want %v", got, want)
	}
}

func TestOwnersFor(t *testing.T) {
	roots := []string{"/app", "/srv"}
	stat := func(root string) (syncd.Entry, error) {
		if root == "/app" {
			return syncd.Entry{UID: 1000, GID: 100}, nil
		}
		return syncd.Entry{}, nil // root-owned
	}
	got, err := ownersFor(roots, syncd.Owner{}, false, stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := (owners{"/app": {UID: 1000, GID: 100}}); !reflect.DeepEqual(got, want) {
		t.Errorf("by directory: %v, want %v", got, want)
	}
	got, err = ownersFor(roots, syncd.Owner{UID: 7, GID: 8}, true, stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := (owners{"/app": {UID: 7, GID: 8}, "/srv": {UID: 7, GID: 8}}); !reflect.DeepEqual(got, want) {
		t.Errorf("by user: %v, want %v", got, want)
	}
}
