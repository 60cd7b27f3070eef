package graph

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

// svc builds a service with dependencies given as "name:condition" (condition optional).
func svc(name string, deps ...string) types.ServiceConfig {
	s := types.ServiceConfig{Name: name}
	s.DependsOn = types.DependsOnConfig{}
	for _, d := range deps {
		n, cond, _ := strings.Cut(d, ":")
		if cond == "" {
			cond = Started
		}
		required := true
		if strings.HasSuffix(n, "?") {
			n, required = strings.TrimSuffix(n, "?"), false
		}
		s.DependsOn[n] = types.ServiceDependency{Condition: cond, Required: required}
	}
	return s
}

func services(ss ...types.ServiceConfig) types.Services {
	out := types.Services{}
	for _, s := range ss {
		out[s.Name] = s
	}
	return out
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		svcs    types.Services
		order   []string
		wantErr string
	}{
		{"independent", services(svc("b"), svc("a")), []string{"a", "b"}, ""},
		{"chain", services(svc("inference", "mlflow"), svc("mlflow", "migrate"), svc("migrate")), []string{"migrate", "mlflow", "inference"}, ""},
		{"diamond", services(svc("d", "b", "c"), svc("b", "a"), svc("c", "a"), svc("a")), []string{"a", "b", "c", "d"}, ""},
		{"self dependency", services(svc("a", "a")), nil, "dependency cycle: a -> a"},
		{"three-cycle named in order", services(svc("a", "b"), svc("b", "c"), svc("c", "a"), svc("x")), nil, "dependency cycle: a -> b -> c -> a"},
		{"cycle rotated to first name", services(svc("z", "m"), svc("m", "z")), nil, "dependency cycle: m -> z -> m"},
		{"unknown required dependency", services(svc("a", "ghost")), nil, `service "a": depends_on "ghost": no such service`},
		{"optional missing dependency dropped", services(svc("a", "ghost?")), []string{"a"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(tt.svcs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New() error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := g.Order(); strings.Join(got, ",") != strings.Join(tt.order, ",") {
				t.Errorf("Order() = %v, want %v", got, tt.order)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	withHC := svc("db")
	withHC.HealthCheck = &types.HealthCheckConfig{Test: types.HealthCheckTest{"CMD", "true"}}
	disabled := svc("db")
	disabled.HealthCheck = &types.HealthCheckConfig{Test: types.HealthCheckTest{"CMD", "true"}, Disable: true}
	tests := []struct {
		name    string
		svcs    types.Services
		wantErr string
	}{
		{"healthy with healthcheck", services(svc("app", "db:"+Healthy), withHC), ""},
		{"healthy without healthcheck", services(svc("app", "db:"+Healthy), svc("db")), `service "app": depends_on "db" with condition service_healthy, but "db" has no healthcheck`},
		{"healthy with disabled healthcheck", services(svc("app", "db:"+Healthy), disabled), "has no healthcheck"},
		{"started needs none", services(svc("app", "db"), svc("db")), ""},
		{"completed needs none", services(svc("app", "db:"+Completed), svc("db")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.svcs)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Validate() = %v, want containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestEdges(t *testing.T) {
	s := svc("app")
	s.DependsOn["db"] = types.ServiceDependency{Condition: Healthy, Required: true, Restart: true}
	g, err := New(services(s, svc("db")))
	if err != nil {
		t.Fatal(err)
	}
	e := g.Deps("app")
	if len(e) != 1 || e[0].To != "db" || e[0].Condition != Healthy || !e[0].Restart || !e[0].Required {
		t.Fatalf("Deps(app) = %+v", e)
	}
	if d := g.Dependents("db"); len(d) != 1 || d[0] != "app" {
		t.Fatalf("Dependents(db) = %v", d)
	}
	if c := g.Closure([]string{"app"}); strings.Join(c, ",") != "app,db" {
		t.Fatalf("Closure(app) = %v", c)
	}
}

// TestWalkStartsEachNodeWhenItsOwnDepsAreDone checks the walk is not level by level: c depends only
// on the fast a, so it must run before the slow b finishes.
func TestWalkStartsEachNodeWhenItsOwnDepsAreDone(t *testing.T) {
	g, err := New(services(svc("a"), svc("b"), svc("c", "a"), svc("d", "b", "c")))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []string
	record := func(s string) { mu.Lock(); events = append(events, s); mu.Unlock() }
	err = g.Walk(context.Background(), g.Nodes(), false, func(ctx context.Context, n string) error {
		record("start " + n)
		if n == "b" {
			time.Sleep(100 * time.Millisecond)
		}
		record("end " + n)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	idx := func(s string) int {
		for i, e := range events {
			if e == s {
				return i
			}
		}
		t.Fatalf("event %q missing from %v", s, events)
		return -1
	}
	if idx("end c") > idx("end b") {
		t.Errorf("c waited for unrelated b: %v", events)
	}
	if idx("start d") < idx("end b") || idx("start d") < idx("end c") {
		t.Errorf("d started before its dependencies: %v", events)
	}
}

func TestWalkReverseStopsDependentsFirst(t *testing.T) {
	g, _ := New(services(svc("db"), svc("app", "db"), svc("web", "app")))
	var mu sync.Mutex
	var order []string
	g.Walk(context.Background(), g.Nodes(), true, func(ctx context.Context, n string) error {
		mu.Lock()
		order = append(order, n)
		mu.Unlock()
		return nil
	})
	if strings.Join(order, ",") != "web,app,db" {
		t.Fatalf("reverse order = %v", order)
	}
}

func TestWalkErrorSkipsDependents(t *testing.T) {
	g, _ := New(services(svc("db"), svc("app", "db"), svc("other")))
	var mu sync.Mutex
	ran := map[string]bool{}
	boom := errors.New("boom")
	err := g.Walk(context.Background(), g.Nodes(), false, func(ctx context.Context, n string) error {
		mu.Lock()
		ran[n] = true
		mu.Unlock()
		if n == "db" {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Walk() = %v, want boom", err)
	}
	if ran["app"] {
		t.Fatal("app ran although its dependency failed")
	}
}

func TestWalkSubset(t *testing.T) {
	g, _ := New(services(svc("db"), svc("app", "db")))
	var ran []string
	g.Walk(context.Background(), []string{"app"}, false, func(ctx context.Context, n string) error {
		ran = append(ran, n)
		return nil
	})
	if strings.Join(ran, ",") != "app" {
		t.Fatalf("walk of a subset ran %v", ran)
	}
}
