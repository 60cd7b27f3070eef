package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Conditions of depends_on the project uses.
const (
	condStarted = "service_started"
	condHealthy = "service_healthy"
)

// chainDepth is the longest dependency chain: a root and the eight services of a chain.
const chainDepth = 9

// service is one service of the benchmark project.
type service struct {
	name    string
	healthy bool              // has a healthcheck (a readiness probe on the cluster)
	deps    map[string]string // dependency -> condition
}

// bigProject is mlbench's 100-service shape (bench/cmd/mlbench, bigStack): 4 roots with
// healthchecks, 6 chains of 8 services (every fourth with a healthcheck its successor waits for)
// behind a root, so the longest chain is 9 deep, and 48 services fanning out from the roots, a third
// of them with healthchecks.
func bigProject() []service {
	var s []service
	for r := range 4 {
		s = append(s, service{name: fmt.Sprintf("root%d", r), healthy: true})
	}
	for c := range 6 {
		for i := range 8 {
			sv := service{name: fmt.Sprintf("chain%d-%d", c, i), healthy: i%4 == 3}
			if i == 0 {
				sv.deps = map[string]string{fmt.Sprintf("root%d", c%4): condHealthy}
			} else {
				prev := s[len(s)-1]
				cond := condStarted
				if prev.healthy {
					cond = condHealthy
				}
				sv.deps = map[string]string{prev.name: cond}
			}
			s = append(s, sv)
		}
	}
	for f := range 48 {
		s = append(s, service{name: fmt.Sprintf("fan%02d", f), healthy: f%3 == 0,
			deps: map[string]string{fmt.Sprintf("root%d", f%4): condHealthy}})
	}
	return s
}

// composeYAML renders the project. kwok's nodes pull nothing and run nothing, so the image need not
// exist and the healthchecks only become readiness probes that kwok reports as passing.
func composeYAML(services []service, image string) string {
	var b strings.Builder
	b.WriteString("services:\n")
	for _, sv := range services {
		fmt.Fprintf(&b, "  %s:\n    image: %s\n    command: [\"sleep\"]\n", sv.name, image)
		if sv.healthy {
			b.WriteString("    healthcheck:\n      test: [\"CMD\", \"/fixture\", \"probe\"]\n      interval: 1s\n")
		}
		if len(sv.deps) > 0 {
			b.WriteString("    depends_on:\n")
			for _, d := range slices.Sorted(maps.Keys(sv.deps)) {
				fmt.Fprintf(&b, "      %s:\n        condition: %s\n", d, sv.deps[d])
			}
		}
	}
	return b.String()
}
