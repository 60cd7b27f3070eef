package main

import (
	"fmt"
	"strings"
	"time"
)

// hop is one dependency hop of a run: a service released by the last of its dependencies'
// conditions to hold, and how long the tool took from that moment to the service's create and to
// its start, on the engine's clock.
type hop struct {
	service, dep string // dep is the dependency whose condition held last
	toCreate     time.Duration
	toStart      time.Duration
}

func (h hop) edge() string { return h.dep + "→" + h.service }

// hops traces every dependency hop of the run that began at since: for each service of s with
// depends_on, the moment its last dependency's condition held, and its first container's create
// and start after it. A healthy dependency holds at the earlier of its engine health_status:
// healthy and its process's readiness (the fixture's --healthy-after counted from the engine's
// start event): the earliest moment any tool can know, so a tool that waits for the engine's probe
// pays for it here. A completed one holds at its exit 0, a started one at its start.
func (o *observer) hops(since time.Time, s stack) []hop {
	o.mu.Lock()
	defer o.mu.Unlock()
	svcs := s.byName()
	// first returns the service's first container created since the run began.
	first := func(svc string) (string, *ctr) {
		var id string
		var best *ctr
		for cid, c := range o.ctrs {
			at, ok := o.createdAt[cid]
			if c.service != svc || c.oneOff || !ok || at.Before(since) {
				continue
			}
			if best == nil || at.Before(o.createdAt[id]) {
				id, best = cid, c
			}
		}
		return id, best
	}
	var out []hop
	for _, sv := range s.services {
		if len(sv.deps) == 0 || sv.profile != "" {
			continue
		}
		id, c := first(sv.name)
		if c == nil {
			continue
		}
		var release time.Time
		var last string
		known := true
		for _, d := range sortedKeys(sv.deps) {
			did, dc := first(d)
			if dc == nil {
				known = false
				break
			}
			var at time.Time
			switch sv.deps[d] {
			case condHealthy:
				at = dc.healthyAt
				if st, ok := o.startedAt[did]; ok {
					if ready := st.Add(svcs[d].healthyAfter); at.IsZero() || ready.Before(at) {
						at = ready
					}
				}
			case condCompleted:
				if dc.exitedCode == "0" {
					at = dc.exitedAt
				}
			default:
				at = o.startedAt[did]
			}
			if at.IsZero() {
				known = false
				break
			}
			if at.After(release) {
				release, last = at, d
			}
		}
		if !known {
			continue
		}
		h := hop{service: sv.name, dep: last, toCreate: o.createdAt[id].Sub(release)}
		if st, ok := o.startedAt[id]; ok {
			h.toStart = st.Sub(release)
		}
		out = append(out, h)
	}
	return out
}

// traceHops returns the hops of a timed up of s and logs them.
func (r *runner) traceHops(o *observer, smp sample, s stack) []hop {
	hs := o.hops(smp.began, s)
	if len(hs) > 0 && len(hs) <= 8 {
		r.logf("    hops, ready → create/start: %s", hopsText(hs))
	} else if len(hs) > 8 {
		c, st, _ := hopMedians([]sample{{hops: hs}})
		r.logf("    %d hops, median ready → create/start: %s/%s", len(hs), signedMs(c), signedMs(st))
	}
	return hs
}

// hopsText is a run's hops for the log: each edge's ready → create / ready → start.
func hopsText(hs []hop) string {
	var parts []string
	for _, h := range hs {
		parts = append(parts, fmt.Sprintf("%s %s/%s", h.edge(), signedMs(h.toCreate), signedMs(h.toStart)))
	}
	return strings.Join(parts, ", ")
}

// signedMs prints a hop's duration in whole milliseconds; a tool that creates containers before
// their dependencies are ready (Compose v5) has negative ready → create.
func signedMs(d time.Duration) string {
	return fmt.Sprintf("%dms", d.Round(time.Millisecond).Milliseconds())
}

// hopMedians is, over the successful runs, the median of each run's median hop (ready → create and
// ready → start) and each edge's own medians, edges in the stack's order.
func hopMedians(ss []sample) (create, start time.Duration, edges []hopEdge) {
	var cs, st []time.Duration
	byEdge := map[string]*hopEdge{}
	var order []string
	for _, s := range ss {
		if s.err != nil || len(s.hops) == 0 {
			continue
		}
		var rc, rs []time.Duration
		for _, h := range s.hops {
			rc, rs = append(rc, h.toCreate), append(rs, h.toStart)
			e := byEdge[h.edge()]
			if e == nil {
				e = &hopEdge{edge: h.edge()}
				byEdge[h.edge()] = e
				order = append(order, h.edge())
			}
			e.create, e.start = append(e.create, h.toCreate), append(e.start, h.toStart)
		}
		cs, st = append(cs, median(rc)), append(st, median(rs))
	}
	for _, k := range order {
		edges = append(edges, *byEdge[k])
	}
	return median(cs), median(st), edges
}

// hopEdge is one dependency edge's hop times over the runs.
type hopEdge struct {
	edge          string
	create, start []time.Duration
}

// hopSection is the report's per-hop table: for each up scenario and tool, the median hop and, for
// stacks of a few hops, every edge's median ready → create and ready → start.
func hopSection(res results, tools []tool) string {
	var b strings.Builder
	b.WriteString("\n## Dependency hops: from a dependency ready to its dependent's create and start\n\n")
	b.WriteString("A hop starts when the last condition a service waits for holds on the engine's clock: a healthy dependency at the earlier of the engine's health_status: healthy and its process's readiness (the fixture's ready delay after the start event: the earliest any tool can know, so waiting for the engine's own probe shows here), a completed one at its exit 0, a started one at its start. It ends at the dependent's create (and start). Medians over the successful runs; a negative ready → create is a container created before its dependencies were ready (Compose v5 creates every container up front).\n\n")
	b.WriteString("| scenario | tool | median hop: ready → create / → start | per edge: ready → create / → start |\n|---|---|---|---|\n")
	for _, sp := range specs {
		if sp.stack == nil {
			continue
		}
		for _, t := range tools {
			c, s, edges := hopMedians(res[sp.key][t.name])
			if len(edges) == 0 {
				continue
			}
			var per []string
			if len(edges) <= 8 {
				for _, e := range edges {
					per = append(per, fmt.Sprintf("%s %s / %s", e.edge, signedMs(median(e.create)), signedMs(median(e.start))))
				}
			} else {
				per = append(per, fmt.Sprintf("%d edges", len(edges)))
			}
			fmt.Fprintf(&b, "| %s | %s | %s / %s | %s |\n", sp.key, t.name, signedMs(c), signedMs(s), strings.Join(per, "; "))
		}
	}
	return b.String()
}
