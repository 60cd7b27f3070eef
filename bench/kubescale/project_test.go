package main

import (
	"slices"
	"testing"
	"time"
)

func TestBigProjectShape(t *testing.T) {
	services := bigProject()
	if len(services) != 100 {
		t.Fatalf("%d services, want 100", len(services))
	}
	byName := map[string]service{}
	for _, sv := range services {
		byName[sv.name] = sv
	}
	var depth func(string) int
	depth = func(n string) int {
		d := 0
		for dep := range byName[n].deps {
			if _, ok := byName[dep]; !ok {
				t.Fatalf("%s depends on %s, which is not in the project", n, dep)
			}
			d = max(d, depth(dep))
		}
		return d + 1
	}
	longest := 0
	for _, sv := range services {
		longest = max(longest, depth(sv.name))
	}
	if longest != chainDepth {
		t.Errorf("longest depends_on chain is %d deep, the report divides by %d", longest, chainDepth)
	}
}

func TestHopsMeasureFromTheConditionThatHeld(t *testing.T) {
	services := []service{
		{name: "db", healthy: true},
		{name: "api", deps: map[string]string{"db": condHealthy}},
		{name: "ui", deps: map[string]string{"api": condStarted}},
	}
	s := time.Second
	tr := trial{timeline: map[string]moments{
		"db":  {created: 1 * s, running: 2 * s, ready: 3 * s},
		"api": {created: 4 * s, running: 6 * s, ready: 7 * s},
		"ui":  {created: 8 * s, running: 9 * s, ready: 10 * s},
	}}
	gaps, ready, running := hops(services, []trial{tr})
	if want := []time.Duration{1 * s, 2 * s}; !slices.Equal(gaps, want) {
		t.Errorf("gaps = %v, want %v (api after db ready, ui after api running)", gaps, want)
	}
	if want := []time.Duration{2 * s, 3 * s, 2 * s}; !slices.Equal(ready, want) {
		t.Errorf("created->ready = %v, want %v", ready, want)
	}
	if want := []time.Duration{1 * s, 2 * s, 1 * s}; !slices.Equal(running, want) {
		t.Errorf("created->running = %v, want %v", running, want)
	}
	if got := quantile([]int{5, 1, 3}, 0.5); got != 3 {
		t.Errorf("median of 5 1 3 = %d", got)
	}
}
