package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Conditions of depends_on used by the benchmark stacks.
const (
	condStarted   = "service_started"
	condHealthy   = "service_healthy"
	condCompleted = "service_completed_successfully"
)

// service is one benchmark service: enough to render compose YAML and to compute the critical path.
type service struct {
	name string
	// kind is what "ready" means: serve (healthcheck passes after healthyAfter), plain (running, no
	// healthcheck), oneshot (exits 0 at once), stubborn (ignores SIGTERM, no healthcheck).
	kind         string
	healthyAfter time.Duration
	deps         map[string]string // dependency -> condition
	grace        time.Duration     // stop_grace_period, 0 for the default
	profile      string
}

// stack is a benchmark compose project.
type stack struct {
	services []service
	interval time.Duration // healthcheck interval of every service that has one
}

func (s stack) byName() map[string]service {
	m := map[string]service{}
	for _, sv := range s.services {
		m[sv.name] = sv
	}
	return m
}

// expectations lists, per service not in a profile, the engine state that means "up": healthy,
// running or exited0.
func (s stack) expectations() map[string]string {
	out := map[string]string{}
	for _, sv := range s.services {
		if sv.profile != "" {
			continue
		}
		switch sv.kind {
		case "serve":
			out[sv.name] = "healthy"
		case "oneshot":
			out[sv.name] = "exited0"
		default:
			out[sv.name] = "running"
		}
	}
	return out
}

// yaml renders the stack as a compose file both tools read unchanged (docker-compose 1.29 included).
func (s stack) yaml(image string) string {
	var b strings.Builder
	b.WriteString("services:\n")
	for _, sv := range s.services {
		fmt.Fprintf(&b, "  %s:\n    image: %s\n", sv.name, image)
		if sv.profile != "" {
			fmt.Fprintf(&b, "    profiles: [%s]\n", sv.profile)
		}
		switch sv.kind {
		case "serve":
			fmt.Fprintf(&b, "    command: [\"serve\", \"--healthy-after\", \"%s\"]\n", sv.healthyAfter)
			fmt.Fprintf(&b, "    healthcheck:\n      test: [\"CMD\", \"/fixture\", \"probe\"]\n      interval: %s\n      timeout: 5s\n      retries: 30\n", s.interval)
		case "oneshot":
			b.WriteString("    command: [\"exit\", \"--code\", \"0\"]\n")
		case "stubborn":
			b.WriteString("    command: [\"sleep\", \"--ignore-term\"]\n")
		default:
			b.WriteString("    command: [\"sleep\"]\n")
		}
		if sv.grace > 0 {
			fmt.Fprintf(&b, "    stop_grace_period: %s\n", sv.grace)
		}
		if len(sv.deps) > 0 {
			b.WriteString("    depends_on:\n")
			for _, d := range sortedKeys(sv.deps) {
				fmt.Fprintf(&b, "      %s:\n        condition: %s\n", d, sv.deps[d])
			}
		}
	}
	return b.String()
}

// mlStack is the six-service ML stack of the issue: a database, a one-shot migration, tracking
// (healthy after 1 s) behind it, a feature store (healthy after 2 s), inference depending on both,
// and a monitor without healthcheck.
func mlStack() stack {
	return stack{interval: time.Second, services: []service{
		{name: "db", kind: "serve", healthyAfter: 1 * time.Second},
		{name: "migrate", kind: "oneshot", deps: map[string]string{"db": condHealthy}},
		{name: "tracking", kind: "serve", healthyAfter: 1 * time.Second, deps: map[string]string{"migrate": condCompleted}},
		{name: "features", kind: "serve", healthyAfter: 2 * time.Second},
		{name: "inference", kind: "serve", healthyAfter: 1 * time.Second, deps: map[string]string{"tracking": condHealthy, "features": condHealthy}},
		{name: "monitor", kind: "plain", deps: map[string]string{"inference": condStarted}},
	}}
}

// gapStack is the ML stack with readiness falling between health probes: every server is ready
// 1.2 s after it starts while the engine probes every 5 s (no start_period, and API 1.41 has no
// start_interval). Waiting for the engine's health costs a dependent up to 3.8 s per hop here; a
// tool that probes early releases it at readiness.
func gapStack() stack {
	s := mlStack()
	s.interval = 5 * time.Second
	for i := range s.services {
		if s.services[i].kind == "serve" {
			s.services[i].healthyAfter = 1200 * time.Millisecond
		}
	}
	return s
}

// downStack is the ML stack plus a worker that ignores SIGTERM and has a 2 s stop_grace_period.
func downStack() stack {
	s := mlStack()
	s.services = append(s.services, service{name: "worker", kind: "stubborn", grace: 2 * time.Second, deps: map[string]string{"db": condStarted}})
	return s
}

// trainStack is what a training job needs: tracking behind a database, and the job itself (in the
// "training" profile so `up` leaves it alone) exiting at once.
func trainStack() stack {
	return stack{interval: time.Second, services: []service{
		{name: "db", kind: "serve", healthyAfter: 500 * time.Millisecond},
		{name: "tracking", kind: "serve", healthyAfter: 500 * time.Millisecond, deps: map[string]string{"db": condHealthy}},
		{name: "job", kind: "oneshot", profile: "training", deps: map[string]string{"tracking": condHealthy}},
	}}
}

// bigStack is a 100-service project: 4 roots with healthchecks, 6 chains of 8 services (every
// fourth with a healthcheck its successor waits for) and 48 services fanning out from the roots,
// a third of them with healthchecks. Its 32 probes run every 5 s: at 1 s they kept both cores busy
// by themselves (Engine 20.10 spends about 0.1 s of CPU per exec; 20 probes a second left the
// machine 0% idle), so the run timed the probes more than the tools.
func bigStack() stack {
	s := stack{interval: 5 * time.Second}
	for r := range 4 {
		s.services = append(s.services, service{name: fmt.Sprintf("root%d", r), kind: "serve", healthyAfter: 500 * time.Millisecond})
	}
	for c := range 6 {
		for i := range 8 {
			sv := service{name: fmt.Sprintf("chain%d-%d", c, i), kind: "plain"}
			if i%4 == 3 {
				sv.kind, sv.healthyAfter = "serve", 300*time.Millisecond
			}
			if i == 0 {
				sv.deps = map[string]string{fmt.Sprintf("root%d", c%4): condHealthy}
			} else {
				prev := s.services[len(s.services)-1]
				cond := condStarted
				if prev.kind == "serve" {
					cond = condHealthy
				}
				sv.deps = map[string]string{prev.name: cond}
			}
			s.services = append(s.services, sv)
		}
	}
	for f := range 48 {
		sv := service{name: fmt.Sprintf("fan%02d", f), kind: "plain", deps: map[string]string{fmt.Sprintf("root%d", f%4): condHealthy}}
		if f%3 == 0 {
			sv.kind, sv.healthyAfter = "serve", 500*time.Millisecond
		}
		s.services = append(s.services, sv)
	}
	return s
}

// criticalPath returns the stack's lower bound for "up until every service is ready" and the chain
// that sets it. start is one container's create+start latency on this engine. A dependent can go the
// moment its dependency's process is ready (healthyAfter after start), which an early probe can
// observe; a service the run ends on is healthy only when the engine's own probe passes, which runs
// every interval from start, so the first pass is the first multiple of interval at or after
// healthyAfter (one interval at least).
func (s stack) criticalPath(start time.Duration) (time.Duration, []string) {
	svcs := s.byName()
	type mark struct {
		begin time.Duration
		prev  string
	}
	memo := map[string]mark{}
	var begin func(string) mark
	begin = func(n string) mark {
		if m, ok := memo[n]; ok {
			return m
		}
		var m mark
		for _, d := range sortedKeys(svcs[n].deps) {
			rel := begin(d).begin + start
			if svcs[n].deps[d] == condHealthy {
				rel += svcs[d].healthyAfter
			}
			if rel > m.begin {
				m = mark{begin: rel, prev: d}
			}
		}
		memo[n] = m
		return m
	}
	var best time.Duration
	var last string
	for n, want := range s.expectations() {
		done := begin(n).begin + start
		if want == "healthy" {
			first := s.interval
			for first < svcs[n].healthyAfter {
				first += s.interval
			}
			done += first
		}
		if done > best || (done == best && n < last) {
			best, last = done, n
		}
	}
	var chain []string
	for n := last; n != ""; n = memo[n].prev {
		chain = append([]string{n}, chain...)
	}
	return best, chain
}

// bound is the larger of the critical path and the engine's throughput floor: every container of the
// stack has to be created and started, and the engine does that at most 1/perContainer a second.
func (s stack) bound(start, perContainer time.Duration) (time.Duration, []string, bool) {
	cp, chain := s.criticalPath(start)
	floor := time.Duration(len(s.expectations())) * perContainer
	if floor > cp {
		return floor, chain, true
	}
	return cp, chain, false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
