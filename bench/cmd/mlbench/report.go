package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mlstack/mlstack/internal/engine"
)

// row is one line of the results table.
type row struct {
	scenario  string
	ml        string
	reference string // "docker-compose 1.29.2: 4.91 s"
	ratio     string
	target    string
	met       string
	bound     string
}

// machine describes where the numbers came from.
type machine struct {
	date, cpus, ram, load, loadEnd, engine, mlstack string
	tools                                           []tool
	startLatency, perContainer                      time.Duration
	throughputN                                     int
	n                                               int
}

func describe(ctx context.Context, eng *engine.Client, o options) machine {
	m := machine{date: time.Now().Format("2006-01-02 15:04 MST"), cpus: fmt.Sprint(runtime.NumCPU()), n: o.n}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		m.ram = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	m.load = loadAverage()
	if v, err := eng.ServerVersion(ctx); err == nil {
		m.engine = fmt.Sprintf("Docker Engine %s (API %s, negotiated %s), %s", v.Version, v.APIVersion, eng.APIVersion, v.KernelVersion)
	}
	if out, err := exec.CommandContext(ctx, o.bin, "version").Output(); err == nil {
		m.mlstack = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	return m
}

// scenarioSpec is how one timed scenario appears in the table.
type scenarioSpec struct {
	key, label string
	ratio      float64       // target ratio mlstack/reference
	abs        time.Duration // absolute target for mlstack, 0 for none
	boundRatio float64       // target distance from the critical-path bound, 0 for none
	stack      func() stack  // for the bound, nil for none
}

var specs = []scenarioSpec{
	{key: scCold, label: "cold `up -d --wait` to all healthy (6-service ML stack)", ratio: 0.8, boundRatio: 1.2, stack: mlStack},
	{key: scNoop, label: "no-op `up -d` (everything up)", ratio: 0.15, abs: 200 * time.Millisecond},
	{key: scPs, label: "`ps`", ratio: 1.0, abs: 60 * time.Millisecond},
	{key: scDown, label: "`down` (7 services, one ignores SIGTERM, grace 2 s)", ratio: 1.0},
	{key: scTrain, label: "`train` vs `run --rm` (job exits at once, deps up)", ratio: 0.6},
	{key: scBig, label: "100-service cold up to all ready", ratio: 0.7, stack: bigStack},
}

func (s scenarioSpec) targetText() string {
	var parts []string
	parts = append(parts, fmt.Sprintf("≤ %.2g×", s.ratio))
	if s.abs > 0 {
		parts = append(parts, "≤ "+fmtDur(s.abs))
	}
	if s.boundRatio > 0 {
		parts = append(parts, fmt.Sprintf("≤ %.1f× bound", s.boundRatio))
	}
	if s.key == scDown {
		return "≤ 1× (beat compose)"
	}
	return strings.Join(parts, ", ")
}

// stats is the median of a tool's successful runs and how many succeeded.
func stats(ss []sample) (obs, wall time.Duration, ok, n int) {
	var os, ws []time.Duration
	for _, s := range ss {
		if s.err == nil {
			os, ws = append(os, s.observed), append(ws, s.wall)
		}
	}
	return median(os), median(ws), len(os), len(ss)
}

func cell(ss []sample) (string, time.Duration) {
	med, _, ok, n := stats(ss)
	if n == 0 {
		return "—", 0
	}
	if ok == 0 {
		return "failed", 0
	}
	s := fmtDur(med)
	if ok < n {
		s += fmt.Sprintf(" (%d/%d ok)", ok, n)
	}
	return s, med
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

func buildRows(res results, tools []tool, want map[string]bool, hasTrain bool, latency, perContainer time.Duration) []row {
	var rows []row
	refs := tools[1:]
	for _, sp := range specs {
		group := map[string]string{scNoop: "cold", scPs: "cold"}[sp.key]
		if group == "" {
			group = sp.key
		}
		if !want[group] {
			continue
		}
		mlText, ml := cell(res[sp.key]["mlstack"])
		if sp.key == scTrain && !hasTrain {
			mlText, ml = "n/a (not built)", 0
		}
		var bound string
		var boundOK = true
		if sp.stack != nil {
			b, chain, floor := sp.stack().bound(latency, perContainer)
			bound = fmtDur(b)
			if floor {
				bound += " engine throughput"
			}
			if ml > 0 {
				bound += fmt.Sprintf(" (mlstack +%s, %.2f×)", fmtDur(ml-b), float64(ml)/float64(b))
				boundOK = float64(ml) <= sp.boundRatio*float64(b) || sp.boundRatio == 0
			}
			if len(chain) <= 6 {
				bound += "; chain " + strings.Join(chain, "→")
			} else {
				bound += fmt.Sprintf("; chain of %d: %s→…→%s", len(chain), chain[0], chain[len(chain)-1])
			}
		}
		if len(refs) == 0 {
			rows = append(rows, row{scenario: sp.label, ml: mlText, reference: "none installed", ratio: "—", target: sp.targetText(), met: "—", bound: bound})
			continue
		}
		for _, t := range refs {
			refText, ref := cell(res[sp.key][t.name])
			r := row{scenario: sp.label, ml: mlText, reference: t.name + ": " + refText, ratio: "—", target: sp.targetText(), met: "—", bound: bound}
			if ml > 0 && ref > 0 {
				ratio := float64(ml) / float64(ref)
				r.ratio = fmt.Sprintf("%.2f", ratio)
				ok := ratio <= sp.ratio && boundOK && (sp.abs == 0 || ml <= sp.abs)
				r.met = verdict(ok)
			}
			rows = append(rows, r)
		}
	}
	return rows
}

var header = []string{"scenario", "mlstack", "reference", "ratio", "target", "met", "critical-path bound (mlstack's distance)"}

func (r row) cells() []string {
	return []string{r.scenario, r.ml, orDash(r.reference), orDash(r.ratio), orDash(r.target), orDash(r.met), orDash(r.bound)}
}

func printTable(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(header, "\t")))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.ReplaceAll(strings.Join(r.cells(), "\t"), "`", ""))
	}
	tw.Flush()
}

func markdown(m machine, rows []row, res results, tools []tool, notes []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# mlbench results\n\n")
	fmt.Fprintf(&b, "- Date: %s\n- Machine: %s CPUs, %s RAM, load average (1/5/15 min) %s at start, %s at the end\n- Engine: %s\n", m.date, m.cpus, m.ram, m.load, m.loadEnd, m.engine)
	fmt.Fprintf(&b, "- Tools: %s (mlstack: %s)\n", names(tools), orDash(m.mlstack))
	fmt.Fprintf(&b, "- Runs: median of %d per tool, tools alternating run by run, a fresh project per run; times are from starting the tool to the engine event that completes the state (observer), except no-op up and ps, which change nothing and are timed to the tool's exit\n", m.n)
	fmt.Fprintf(&b, "- One fixture container's create+start on this engine, measured every round (median): %s; amortised over %d started at once on one network: %s each\n", fmtDur(m.startLatency), m.throughputN, fmtDur(m.perContainer))
	b.WriteString("- Critical-path bound: along the longest dependency chain, create+start per service plus the time its process becomes ready (`--healthy-after`) where a dependent waits for health, plus, for the services the run ends on, the engine's first passing probe (the first multiple of the health interval at or after readiness); never below the engine's throughput floor (services × amortised create+start)\n\n")
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|" + strings.Repeat("---|", len(header)) + "\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r.cells(), " | ") + " |\n")
	}
	b.WriteString("\n## Every tool, observed vs exit\n\n| scenario | tool | observed median | exit median | min–max observed | runs ok |\n|---|---|---|---|---|---|\n")
	var failures []string
	for _, sp := range specs {
		for _, t := range tools {
			ss := res[sp.key][t.name]
			if len(ss) == 0 {
				continue
			}
			obs, wall, ok, n := stats(ss)
			lo, hi := spread(ss)
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s–%s | %d/%d |\n", sp.key, t.name, fmtDur(obs), fmtDur(wall), fmtDur(lo), fmtDur(hi), ok, n)
			for _, s := range ss {
				if s.err != nil && len(failures) < 8 {
					failures = append(failures, fmt.Sprintf("%s, %s: %s", sp.key, t.name, strings.TrimSpace(s.err.Error())))
				}
			}
		}
	}
	if len(failures) > 0 {
		b.WriteString("\n## Failed runs\n\n```\n" + strings.Join(failures, "\n\n") + "\n```\n")
	}
	for _, n := range notes {
		b.WriteString("\n" + n + "\n")
	}
	return b.String()
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute figures: benchmarks on a busy machine say so.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func spread(ss []sample) (lo, hi time.Duration) {
	for _, s := range ss {
		if s.err != nil {
			continue
		}
		if lo == 0 || s.observed < lo {
			lo = s.observed
		}
		if s.observed > hi {
			hi = s.observed
		}
	}
	return lo, hi
}
