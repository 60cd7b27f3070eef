package graph

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// FuzzGraph builds graphs from arbitrary edge lists: New either names a real cycle or returns a graph
// whose walk visits every node after all of its dependencies.
func FuzzGraph(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 2, 0})
	f.Add([]byte{0, 1, 0, 2, 1, 3, 2, 3})
	f.Add([]byte{3, 3})
	f.Fuzz(func(t *testing.T, edges []byte) {
		const n = 8
		svcs := types.Services{}
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("s%d", i)
			s := types.ServiceConfig{Name: name}
			s.DependsOn = types.DependsOnConfig{}
			svcs[name] = s
		}
		for i := 0; i+1 < len(edges); i += 2 {
			from, to := fmt.Sprintf("s%d", edges[i]%n), fmt.Sprintf("s%d", edges[i+1]%n)
			svcs[from].DependsOn[to] = types.ServiceDependency{Condition: Started, Required: true}
		}
		g, err := New(svcs)
		if err != nil {
			if !strings.Contains(err.Error(), "dependency cycle") {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		var mu sync.Mutex
		done := map[string]bool{}
		err = g.Walk(context.Background(), g.Nodes(), false, func(ctx context.Context, name string) error {
			mu.Lock()
			defer mu.Unlock()
			for _, e := range g.Deps(name) {
				if !done[e.To] {
					return fmt.Errorf("%s ran before its dependency %s", name, e.To)
				}
			}
			done[name] = true
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(done) != n {
			t.Fatalf("walk visited %d of %d nodes", len(done), n)
		}
	})
}
