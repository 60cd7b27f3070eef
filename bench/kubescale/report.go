package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// format writes the report: the setting, every run, the medians and their ratio against the
// target, where a hop's time goes, and mlstack's memory.
func format(o options, env environment, services []service, trials []trial) string {
	var b strings.Builder
	fmt.Fprintf(&b, "kubescale: %d services (longest depends_on chain %d deep) on a simulated cluster of %d nodes\n", len(services), chainDepth, env.nodes)
	fmt.Fprintf(&b, "date:      %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "machine:   %s\n", env.machine)
	fmt.Fprintf(&b, "load:      %s before, %s after (1, 5, 15 min)\n", env.loadBefore, env.loadAfter)
	fmt.Fprintf(&b, "mlstack:   %s (%s)\n", env.mlstack, o.mlstack)
	fmt.Fprintf(&b, "kubectl:   %s\n", env.kubectl)
	fmt.Fprintf(&b, "cluster:   kube-apiserver %s, etcd, kube-controller-manager, kube-scheduler, kwok (fast pod stages)\n", env.server)
	fmt.Fprintf(&b, "runs:      %d of each, alternating, after %d untimed of each; each in a fresh namespace\n", o.runs, o.warmup)
	b.WriteString("ordered:   mlstack --kube-context CTX --namespace NS up -d --wait\n")
	b.WriteString("unordered: kubectl apply --server-side -n NS -f <every file of mlstack export kubernetes>\n")
	b.WriteString("timing:    one informer on the namespace's Deployments and pods, from the child's start to the\n")
	b.WriteString("           last Deployment available (every replica updated and available)\n\n")

	fmt.Fprintf(&b, "%-10s %-36s %10s %10s %12s %10s\n", "rollout", "namespace", "ready (s)", "exit (s)", "1st obj (s)", "RSS (MiB)")
	for _, t := range trials {
		rss := "-"
		if t.mode == ordered {
			rss = fmt.Sprintf("%.1f", float64(t.maxRSS)/1024)
		}
		fmt.Fprintf(&b, "%-10s %-36s %10.2f %10.2f %12.2f %10s\n", t.mode, t.namespace, t.ready.Seconds(), t.exited.Seconds(), firstCreated(t).Seconds(), rss)
	}

	o1, u1 := of(trials, ordered), of(trials, unordered)
	med := func(ts []trial, f func(trial) time.Duration) time.Duration {
		var ds []time.Duration
		for _, t := range ts {
			ds = append(ds, f(t))
		}
		return quantile(ds, 0.5)
	}
	ready := func(t trial) time.Duration { return t.ready }
	mo, mu := med(o1, ready), med(u1, ready)
	ratio := mo.Seconds() / mu.Seconds()
	verdict := "met"
	if ratio > o.target {
		verdict = "NOT met"
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "median time to all ready: ordered %.2f s, unordered %.2f s\n", mo.Seconds(), mu.Seconds())
	fmt.Fprintf(&b, "ratio ordered/unordered:  %.2f (target <= %.2f: %s)\n", ratio, o.target, verdict)
	fmt.Fprintf(&b, "per hop:                  (ordered - unordered) / %d = %.2f s\n", chainDepth, (mo-mu).Seconds()/chainDepth)

	gaps, prop, run := hops(services, o1)
	_, uprop, urun := hops(services, u1)
	b.WriteString("\nwhere a hop's time goes (medians / 90th percentiles over every depends_on edge or service, all timed runs):\n")
	fmt.Fprintf(&b, "  mlstack: dependency's condition seen -> dependent's Deployment created   %s  (%d edges)\n", spread(gaps), len(gaps))
	fmt.Fprintf(&b, "  cluster, ordered:   Deployment created -> available (readiness)          %s\n", spread(prop))
	fmt.Fprintf(&b, "  cluster, ordered:   Deployment created -> first pod running              %s\n", spread(run))
	fmt.Fprintf(&b, "  cluster, unordered: Deployment created -> available (readiness)          %s\n", spread(uprop))
	fmt.Fprintf(&b, "  cluster, unordered: Deployment created -> first pod running              %s\n", spread(urun))
	fmt.Fprintf(&b, "  first Deployment created after the child's start: ordered %.2f s, unordered %.2f s (median)\n",
		med(o1, firstCreated).Seconds(), med(u1, firstCreated).Seconds())

	var rss []int64
	for _, t := range o1 {
		rss = append(rss, t.maxRSS)
	}
	fmt.Fprintf(&b, "\nmlstack peak RSS (the up process, from its rusage): median %.1f MiB, max %.1f MiB\n",
		float64(quantile(rss, 0.5))/1024, float64(quantile(rss, 1))/1024)
	return b.String()
}

func of(trials []trial, mode string) []trial {
	return slices.DeleteFunc(slices.Clone(trials), func(t trial) bool { return t.mode != mode })
}

// firstCreated is when the first Deployment appeared.
func firstCreated(t trial) time.Duration {
	first := t.ready
	for _, m := range t.timeline {
		if m.created >= 0 {
			first = min(first, m.created)
		}
	}
	return first
}

// hops returns, over the trials, each depends_on edge's gap from the dependency's condition holding
// (available for service_healthy, a pod running for service_started) to the dependent's Deployment
// being created, and each service's time from creation to available and to a running pod.
func hops(services []service, trials []trial) (gaps, ready, running []time.Duration) {
	for _, t := range trials {
		for _, sv := range services {
			m := t.timeline[sv.name]
			ready = append(ready, m.ready-m.created)
			if m.running >= 0 {
				running = append(running, m.running-m.created)
			}
			for dep, cond := range sv.deps {
				d := t.timeline[dep]
				held := d.running
				if cond == condHealthy {
					held = d.ready
				}
				gaps = append(gaps, m.created-held)
			}
		}
	}
	return gaps, ready, running
}

func spread(ds []time.Duration) string {
	return fmt.Sprintf("%6.2f s / %6.2f s", quantile(ds, 0.5).Seconds(), quantile(ds, 0.9).Seconds())
}

// quantile is the q-quantile by the nearest rank; zero for no values.
func quantile[T cmp.Ordered](xs []T, q float64) T {
	if len(xs) == 0 {
		var zero T
		return zero
	}
	s := slices.Sorted(slices.Values(xs))
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}
