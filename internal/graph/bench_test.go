package graph

import (
	"context"
	"fmt"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// services100 is a 100-service project shaped like bench/'s: 4 roots, 6 chains of 8, 48 fanning out.
func services100() types.Services {
	s := types.Services{}
	add := func(name string, deps ...string) {
		d := types.DependsOnConfig{}
		for _, n := range deps {
			d[n] = types.ServiceDependency{Condition: Healthy, Required: true}
		}
		svc := types.ServiceConfig{Name: name}
		svc.DependsOn = d
		s[name] = svc
	}
	for r := range 4 {
		add(fmt.Sprintf("root%d", r))
	}
	for c := range 6 {
		for i := range 8 {
			prev := fmt.Sprintf("chain%d-%d", c, i-1)
			if i == 0 {
				prev = fmt.Sprintf("root%d", c%4)
			}
			add(fmt.Sprintf("chain%d-%d", c, i), prev)
		}
	}
	for f := range 48 {
		add(fmt.Sprintf("fan%02d", f), fmt.Sprintf("root%d", f%4))
	}
	return s
}

// BenchmarkNew100 builds and checks (cycle search included) the graph of 100 services.
func BenchmarkNew100(b *testing.B) {
	s := services100()
	for b.Loop() {
		if _, err := New(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWalk100 is the scheduling overhead of up's parallel walk over 100 services, with no work
// per node: what mlstack adds on top of the engine's create and start.
func BenchmarkWalk100(b *testing.B) {
	g, err := New(services100())
	if err != nil {
		b.Fatal(err)
	}
	names := g.Nodes()
	ctx := context.Background()
	for b.Loop() {
		if err := g.Walk(ctx, names, false, func(context.Context, string) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
