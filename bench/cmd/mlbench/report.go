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

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/engine"
)

// row is one line of the results table: mlstack's figure, then each reference's figure and
// mlstack's ratio to it, in the order of the tools (Docker Compose v5 first).
type row struct {
	scenario string
	ml       string
	refs     []string
	ratios   []string
	target   string
	met      string
	bound    string
}

// machine describes where the numbers came from.
type machine struct {
	date, cpus, ram, load, loadEnd, engine, mlstack, goVersion string
	busiest                                                    string // the busiest other processes at the start
	others                                                     int    // running containers of other projects at the start
	startLatency, perContainer                                 time.Duration
	throughputN                                                int
	n, bigN                                                    int
}

func describe(ctx context.Context, eng *engine.Client, o options) machine {
	m := machine{date: time.Now().UTC().Format("2006-01-02 15:04 MST"), cpus: fmt.Sprint(runtime.NumCPU()), n: o.n, bigN: min(o.n, o.bigN)}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		m.ram = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	m.load = loadAverage()
	if v, err := eng.ServerVersion(ctx); err == nil {
		m.engine = fmt.Sprintf("Docker Engine %s (API %s, negotiated %s), kernel %s", v.Version, v.APIVersion, eng.APIVersion, v.KernelVersion)
	}
	if out, err := exec.CommandContext(ctx, o.bin, "version").Output(); err == nil {
		m.mlstack = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	if out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output(); err == nil {
		m.goVersion = strings.TrimSpace(string(out))
	}
	if cs, err := eng.ContainerList(ctx, container.ListOptions{}); err == nil {
		m.others = len(cs)
	}
	// Other work on the machine moves every figure; the busiest processes say what it was.
	if out, err := exec.CommandContext(ctx, "ps", "-eo", "pcpu,rss,etimes,args", "--sort=-pcpu").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		for i, l := range lines {
			if len(l) > 110 {
				lines[i] = l[:110] + "…"
			}
		}
		m.busiest = strings.Join(lines[:min(len(lines), 13)], "\n") + fmt.Sprintf("\n(%d processes in all)", len(lines)-1)
	}
	return m
}

// scenarioSpec is how one timed scenario appears in the table and what its target is. Every target
// set here is checked against the measurement; "met" is never written by hand.
type scenarioSpec struct {
	key, group, label string
	ratio             float64       // mlstack / Compose v5 at most this, 0 for none
	boundRatio        float64       // mlstack / critical-path bound at most this, 0 for none
	floorRatio        float64       // mlstack / engine throughput floor at most this, 0 for none
	floorPlus         time.Duration // mlstack at most this above one container's create+start, 0 for none
	stack             func() stack  // for the bound, nil for none
}

var specs = []scenarioSpec{
	{key: scCold, group: "cold", label: "cold `up -d --wait` to all healthy (6-service ML stack, ready 1–2 s, interval 1 s)", ratio: 0.75, boundRatio: 1.1, stack: mlStack},
	{key: scGap, group: "gap", label: "cold `up -d --wait` to all healthy (same stack, ready 1.2 s, interval 5 s)", ratio: 0.75, boundRatio: 1.1, stack: gapStack},
	{key: scNoop, group: "cold", label: "no-op `up -d` (everything up)", ratio: 0.05},
	{key: scPs, group: "cold", label: "`ps`", ratio: 0.5},
	{key: scStart, group: "cold", label: "process start: `--help` (no project loaded, no engine call)"},
	{key: scDown, group: "down", label: "`down` (7 services, one ignores SIGTERM, grace 2 s)", ratio: 1.0},
	{key: scTrain, group: "train", label: "`train` vs `run --rm` (job exits at once, deps up)", floorPlus: trainOverhead},
	{key: scBig, group: "big", label: "100-service cold up to all ready (32 healthchecks, interval 5 s)", floorRatio: bigFloorRatio, stack: bigStack},
}

// The targets stated as distance from the engine's floor (issue 16): what is left above them is
// mlstack's own work (process start, loading, its API calls, hops between dependencies).
const (
	trainOverhead = 150 * time.Millisecond
	bigFloorRatio = 1.3
)

func (s scenarioSpec) targetText() string {
	var parts []string
	if s.ratio > 0 {
		parts = append(parts, fmt.Sprintf("≤ %.2g× v5", s.ratio))
	}
	if s.boundRatio > 0 {
		parts = append(parts, fmt.Sprintf("≤ %.2g× bound", s.boundRatio))
	}
	if s.floorRatio > 0 {
		parts = append(parts, fmt.Sprintf("≤ %.2g× engine floor", s.floorRatio))
	}
	if s.floorPlus > 0 {
		parts = append(parts, "≤ engine floor + "+fmtDur(s.floorPlus))
	}
	if len(parts) == 0 {
		return "reported"
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

// verdict is "met" when every condition holds, "—" when there is none or one could not be measured.
func verdict(conds ...*bool) string {
	if len(conds) == 0 {
		return "—"
	}
	for _, c := range conds {
		if c == nil {
			return "—"
		}
	}
	for _, c := range conds {
		if !*c {
			return "not met"
		}
	}
	return "met"
}

func check(ok bool) *bool { return &ok }

func ratioText(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func buildRows(res results, tools []tool, want map[string]bool, hasTrain bool, latency, perContainer time.Duration) []row {
	var rows []row
	refs := tools[1:]
	for _, sp := range specs {
		if !want[sp.group] {
			continue
		}
		mlText, ml := cell(res[sp.key]["mlstack"])
		if sp.key == scTrain && !hasTrain {
			mlText, ml = "n/a (not built)", 0
		}
		r := row{scenario: sp.label, ml: mlText, target: sp.targetText()}
		var v5 time.Duration
		for i, t := range refs {
			text, ref := cell(res[sp.key][t.name])
			if i == 0 {
				v5 = ref
			}
			r.refs = append(r.refs, text)
			r.ratios = append(r.ratios, ratioText(float64(ml), float64(ref)))
		}
		var conds []*bool
		known := ml > 0
		if sp.ratio > 0 {
			if known && v5 > 0 {
				conds = append(conds, check(float64(ml) <= sp.ratio*float64(v5)))
			} else {
				conds = append(conds, nil)
			}
		}
		if sp.stack != nil {
			b, chain, floor := sp.stack().bound(latency, perContainer)
			r.bound = fmtDur(b)
			if floor {
				r.bound += " engine throughput floor"
			}
			if known {
				r.bound += fmt.Sprintf(" (mlstack %s, %.2f×)", signed(ml-b), float64(ml)/float64(b))
			}
			if len(chain) <= 6 {
				r.bound += "; chain " + strings.Join(chain, "→")
			} else {
				r.bound += fmt.Sprintf("; chain of %d: %s→…→%s", len(chain), chain[0], chain[len(chain)-1])
			}
			for _, lim := range []float64{sp.boundRatio, sp.floorRatio} {
				if lim > 0 {
					conds = append(conds, cond(known, float64(ml) <= lim*float64(b)))
				}
			}
		}
		if sp.floorPlus > 0 {
			r.bound = "engine floor (one create+start) " + fmtDur(latency)
			if known {
				r.bound += fmt.Sprintf(" (mlstack %s)", signed(ml-latency))
			}
			conds = append(conds, cond(known, ml-latency <= sp.floorPlus))
		}
		r.met = verdict(conds...)
		rows = append(rows, r)
	}
	if want["big"] {
		rows = append(rows, rssRow("peak RSS of `up`, 100-service project", res[scBig], refs))
	}
	return rows
}

// signed prints a distance with its sign: mlstack can end below a floor measured in another moment.
func signed(d time.Duration) string {
	if d < 0 {
		return "−" + fmtDur(-d)
	}
	return "+" + fmtDur(d)
}

// cond is a condition that is unknown (nil) when its measurement is missing.
func cond(known, ok bool) *bool {
	if !known {
		return nil
	}
	return check(ok)
}

// rssRow reports each tool's median peak resident set over its successful runs of a scenario.
func rssRow(label string, byTool map[string][]sample, refs []tool) row {
	med := func(ss []sample) int64 {
		var ds []time.Duration
		for _, s := range ss {
			if s.err == nil && s.rssKB > 0 {
				ds = append(ds, time.Duration(s.rssKB))
			}
		}
		return int64(median(ds))
	}
	ml := med(byTool["mlstack"])
	r := row{scenario: label, ml: fmtKB(ml), target: "reported", met: "—"}
	for _, t := range refs {
		ref := med(byTool[t.name])
		r.refs = append(r.refs, fmtKB(ref))
		r.ratios = append(r.ratios, ratioText(float64(ml), float64(ref)))
	}
	return r
}

func header(tools []tool) []string {
	h := []string{"scenario", "mlstack"}
	for _, t := range tools[1:] {
		h = append(h, t.name, "× "+strings.Fields(t.name)[len(strings.Fields(t.name))-1])
	}
	return append(h, "target", "met", "bound / floor (mlstack's distance)")
}

func (r row) cells(nrefs int) []string {
	c := []string{r.scenario, r.ml}
	for i := range nrefs {
		ref, ratio := "—", "—"
		if i < len(r.refs) {
			ref, ratio = r.refs[i], r.ratios[i]
		}
		c = append(c, orDash(ref), orDash(ratio))
	}
	return append(c, orDash(r.target), orDash(r.met), orDash(r.bound))
}

func printTable(w io.Writer, tools []tool, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(header(tools), "\t")))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.ReplaceAll(strings.Join(r.cells(len(tools)-1), "\t"), "`", ""))
	}
	tw.Flush()
}

func markdown(m machine, rows []row, res results, tools []tool, notes, log []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# mlbench results, %s\n\n", m.date)
	fmt.Fprintf(&b, "- Machine: %s CPUs, %s RAM; load average (1/5/15 min) %s at the start, %s at the end\n", m.cpus, m.ram, m.load, m.loadEnd)
	fmt.Fprintf(&b, "- Engine: %s; %d containers of other projects running at the start\n", orDash(m.engine), m.others)
	fmt.Fprintf(&b, "- Tools: mlstack (%s, %s); references: %s, run by absolute path\n", orDash(m.mlstack), orDash(m.goVersion), names(tools[1:]))
	fmt.Fprintf(&b, "- Runs: median of %d per tool (%d of the 100-service project), the tool order rotated every round, a fresh project per run; times run from starting the tool to the engine event that completes the state (one observer of the engine's events for every tool), except no-op up and ps, which change nothing and are timed to the tool's exit. Ratios are mlstack / reference; targets are against Compose v5\n", m.n, m.bigN)
	fmt.Fprintf(&b, "- Engine floor (medians): one fixture container's create+start %s, measured every round; amortised over %d started at once on one network, %s each, measured in the rounds that run the 100-service project (every round when it does not run)\n", fmtDur(m.startLatency), m.throughputN, fmtDur(m.perContainer))
	b.WriteString("- Critical-path bound: along the longest dependency chain, create+start per service plus the time its process becomes ready where a dependent waits for health, plus, for the services the run ends on, the engine's first passing probe (the first multiple of the health interval at or after readiness); never below the engine's throughput floor (services × amortised create+start)\n\n")
	h := header(tools)
	b.WriteString("| " + strings.Join(h, " | ") + " |\n|" + strings.Repeat("---|", len(h)) + "\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r.cells(len(tools)-1), " | ") + " |\n")
	}
	b.WriteString("\n## Every tool: observed vs exit, and the engine-side timeline\n\n")
	b.WriteString("Timeline columns are medians over the successful runs, from starting the tool: its first container create (process start, loading, network), its last container start, and the state reached. Per run, the time splits into before the first create (the tool's own start), first create → last start (the engine creating and starting, and the tool's hops between dependencies) and last start → state (the health tail); the split columns are medians of each run's parts. The last two columns trace the span on the engine's side: the median time one container took from its create to its start, and the time within the span when no container of the project was between its create and its start (the engine had nothing of the project to do: the tool's own work, or waits for health).\n\n")
	b.WriteString("| scenario | tool | observed median | exit median | min–max observed | first create | last start | first create → last start | last start → state | create → start per container | engine idle in span | runs ok |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var failures []string
	for _, sp := range specs {
		for _, t := range tools {
			ss := res[sp.key][t.name]
			if len(ss) == 0 {
				continue
			}
			obs, wall, ok, n := stats(ss)
			lo, hi := spread(ss)
			fc, ls, span, tail := timeline(ss)
			tailText := fmtDur(tail)
			if span > 0 && tail == 0 {
				tailText = "0 (ends on a start)"
			}
			c2s, idle := traceMedians(ss)
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s–%s | %s | %s | %s | %s | %s | %s | %d/%d |\n", sp.key, t.name, fmtDur(obs), fmtDur(wall), fmtDur(lo), fmtDur(hi), fmtDur(fc), fmtDur(ls), fmtDur(span), tailText, fmtDur(c2s), idle, ok, n)
			for _, s := range ss {
				if s.err != nil && len(failures) < 8 {
					failures = append(failures, fmt.Sprintf("%s, %s: %s", sp.key, t.name, strings.TrimSpace(s.err.Error())))
				}
			}
		}
	}
	b.WriteString(hopSection(res, tools))
	if len(failures) > 0 {
		b.WriteString("\n## Failed runs\n\n```\n" + strings.Join(failures, "\n\n") + "\n```\n")
	}
	for _, n := range notes {
		b.WriteString("\n" + n + "\n")
	}
	if m.busiest != "" {
		b.WriteString("\n## Load: the busiest processes when the run began\n\n```\n" + m.busiest + "\n```\n")
	}
	b.WriteString("\n## Every run\n\n```\n" + strings.Join(log, "\n") + "\n```\n")
	return b.String()
}

// timeline is the median first create and last start of the successful runs that had them, and
// the medians of each such run's create-to-start span and health tail.
func timeline(ss []sample) (firstCreate, lastStart, span, tail time.Duration) {
	var fc, ls, sp, tl []time.Duration
	for _, s := range ss {
		if s.err != nil {
			continue
		}
		if s.firstCreate > 0 {
			fc = append(fc, s.firstCreate)
		}
		if s.lastStart > 0 {
			ls = append(ls, s.lastStart)
		}
		if s.firstCreate > 0 && s.lastStart > 0 {
			sp = append(sp, s.lastStart-s.firstCreate)
			tl = append(tl, max(0, s.observed-s.lastStart))
		}
	}
	return median(fc), median(ls), median(sp), median(tl)
}

// traceMedians is the median create-to-start time and the median idle time (as text, where "0"
// means the engine always had a container of the project in hand) of the runs that created any.
func traceMedians(ss []sample) (time.Duration, string) {
	var c2s, idle []time.Duration
	for _, s := range ss {
		if s.err == nil && s.createToStart > 0 {
			c2s, idle = append(c2s, s.createToStart), append(idle, s.idle)
		}
	}
	if len(c2s) == 0 {
		return 0, "—"
	}
	if m := median(idle); m > 0 {
		return median(c2s), fmtDur(m)
	}
	return median(c2s), "0"
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
