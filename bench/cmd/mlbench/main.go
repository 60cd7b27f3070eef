// Command mlbench times mlstack against docker-compose (and `docker compose` where present) on the
// fixture image, with one outside observer of engine state for every tool, and prints one table.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/fixtureimage"
)

// options are mlbench's flags.
type options struct {
	n       int
	bigN    int
	bin     string
	root    string
	out     string
	only    string
	compose string
	v5      string
	edits   int
	verbose bool
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 5, "runs per tool and scenario (the median is reported)")
	flag.IntVar(&o.bigN, "big-n", 5, "runs per tool of the 100-service project (at most -n; minutes per run on a loaded machine)")
	flag.StringVar(&o.bin, "mlstack", os.Getenv("MLSTACK_BIN"), "mlstack binary (default $MLSTACK_BIN, else bin/mlstack)")
	flag.StringVar(&o.root, "root", "", "repository root (default: found from the working directory)")
	flag.StringVar(&o.out, "out", "", "markdown output (default ROOT/bench/out/latest.md)")
	flag.StringVar(&o.only, "only", "", "comma-separated scenarios: cold,gap,down,big,train,hash,watch (default all)")
	flag.StringVar(&o.v5, "compose-v5", os.Getenv("COMPOSE_V5_BIN"), "Docker Compose v5 binary, the reference ratios are taken against (default $COMPOSE_V5_BIN; bench/tools/composev5.sh builds it)")
	flag.IntVar(&o.edits, "edits", 100, "timed edits per tool in the watch scenario")
	flag.BoolVar(&o.verbose, "v", true, "print every run on stderr")
	flag.StringVar(&o.compose, "compose", "", "print a scenario's compose file (ml, gap, down, train, big) with the fixture image, and exit")
	flag.Parse()
	if o.compose != "" {
		s, ok := map[string]func() stack{"ml": mlStack, "gap": gapStack, "down": downStack, "train": trainStack, "big": bigStack}[o.compose]
		if !ok {
			fmt.Fprintf(os.Stderr, "mlbench: -compose %q: want ml, gap, down, train or big\n", o.compose)
			os.Exit(2)
		}
		fmt.Print(s().yaml(fixtureimage.Repo + ":latest"))
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "mlbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.root == "" {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil || strings.TrimSpace(string(out)) == "" {
			return fmt.Errorf("find the repository root (run from inside it or pass -root): %v", err)
		}
		o.root = filepath.Dir(strings.TrimSpace(string(out)))
	}
	if o.bin == "" {
		o.bin = filepath.Join(o.root, "bin", "mlstack")
	}
	if abs, err := filepath.Abs(o.bin); err == nil {
		o.bin = abs
	}
	if _, err := os.Stat(o.bin); err != nil {
		return fmt.Errorf("mlstack binary: %w (run `make build` or set MLSTACK_BIN)", err)
	}
	if o.out == "" {
		o.out = filepath.Join(o.root, "bench", "out", "latest.md")
	}
	if o.n < 1 {
		return fmt.Errorf("-n %d: need at least one run", o.n)
	}
	refs, err := references(ctx, o.v5)
	if err != nil {
		return err
	}
	eng, err := engine.Connect(ctx, engine.Options{})
	if err != nil {
		return err
	}
	defer eng.Close()
	if !eng.IsLocal() {
		return fmt.Errorf("engine at %s is not local: the observer compares the engine's event times with this host's clock", eng.Host)
	}
	image, err := fixtureimage.Ensure(ctx, eng, o.root)
	if err != nil {
		return err
	}
	r := &runner{eng: eng, image: image, verbose: o.verbose}
	defer r.purgeAll()

	env := describe(ctx, eng, o)
	tools := append([]tool{{name: "mlstack", argv: []string{o.bin}, wait: true}}, refs...)
	want := selected(o.only)

	// The engine's own speed is measured in every round, so the bound follows the machine's load;
	// the throughput floor matters for the 100-service project, so it is measured at that size in
	// the rounds that run it (at 20 in the others, when it does not run at all).
	bigRounds := min(o.bigN, o.n)
	if !want["big"] {
		bigRounds = 0
	}
	throughputN := 20
	if bigRounds > 0 {
		throughputN = 100
	}
	var latencies, perContainer []time.Duration
	measure := func(round int) error {
		l, err := r.startLatency(ctx, 3)
		if err != nil {
			return err
		}
		latencies = append(latencies, l)
		if bigRounds > 0 && round >= bigRounds {
			return nil
		}
		pc, err := r.throughput(ctx, throughputN)
		if err != nil {
			return err
		}
		perContainer = append(perContainer, pc)
		return nil
	}
	res := results{}
	hasTrain := trainBuilt(ctx, o.bin)
	r.logf("mlbench: %d runs each (%d of the 100-service project); fixture %s; references: %s", o.n, bigRounds, image, names(refs))
	for i := range o.n {
		order := rotate(tools, i)
		if err := measure(i); err != nil {
			return err
		}
		floor := "—"
		if len(perContainer) > i {
			floor = fmtDur(perContainer[i])
		}
		r.logf("round %d/%d (one create+start %s, %d at once %s each; load %s)", i+1, o.n, fmtDur(latencies[i]), throughputN, floor, loadAverage())
		for _, t := range order {
			if want["cold"] {
				r.roundCold(ctx, t, res)
			}
			if want["gap"] {
				r.roundGap(ctx, t, res)
			}
			if want["down"] {
				r.roundDown(ctx, t, res)
			}
			if want["train"] && (t.name != "mlstack" || hasTrain) {
				r.roundTrain(ctx, t, res)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if i < bigRounds {
			for _, t := range order {
				r.roundBig(ctx, t, res)
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
	}
	env.startLatency, env.perContainer, env.throughputN = median(latencies), median(perContainer), throughputN
	var extra []row
	var notes []string
	if want["hash"] {
		rows, err := hashBench(ctx, o.root)
		if err != nil {
			notes = append(notes, "build-context hashing: "+err.Error())
		}
		extra = append(extra, rows...)
	}
	if want["watch"] {
		rows, raw := watchBench(ctx, o.root, o.bin, refs[0], len(refs), o.edits)
		extra = append(extra, rows...)
		if raw != "" {
			notes = append(notes, "## bench/watch output\n\n```\n"+strings.TrimSpace(raw)+"\n```")
		}
	}
	env.loadEnd = loadAverage()
	table := buildRows(res, tools, want, hasTrain, env.startLatency, env.perContainer)
	table = append(table, extra...)
	printTable(os.Stdout, tools, table)
	md := markdown(env, table, res, tools, notes, r.log)
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", o.out, err)
	}
	fmt.Fprintf(os.Stderr, "mlbench: table written to %s\n", o.out)
	return nil
}

// references are the compose front ends timed beside mlstack, each named with its version: Docker
// Compose v5 first (ratios and targets are against it), run by absolute path so a user's own
// plugin is never involved, then docker-compose 1.x where installed.
func references(ctx context.Context, v5 string) ([]tool, error) {
	if v5 == "" {
		return nil, fmt.Errorf("no Docker Compose v5 binary: pass -compose-v5 or set COMPOSE_V5_BIN (bench/tools/composev5.sh builds one; `make bench` does it for you)")
	}
	v, err := exec.CommandContext(ctx, v5, "version", "--short").Output()
	if err != nil {
		return nil, fmt.Errorf("compose v5 at %s: %w", v5, err)
	}
	out := []tool{{name: "compose v" + strings.TrimPrefix(strings.TrimSpace(string(v)), "v"), argv: []string{v5}, wait: true}}
	if v, err := exec.CommandContext(ctx, "docker-compose", "version", "--short").Output(); err == nil {
		out = append(out, tool{name: "docker-compose " + strings.TrimSpace(string(v)), argv: []string{"docker-compose"}, wait: false})
	}
	return out, nil
}

// trainBuilt reports whether this mlstack has the train command (it may be built later than bench).
// An unknown command prints the root help, so the usage line is what tells.
func trainBuilt(ctx context.Context, bin string) bool {
	out, err := exec.CommandContext(ctx, bin, "train", "--help").Output()
	return err == nil && strings.Contains(string(out), "mlstack train")
}

func selected(only string) map[string]bool {
	all := []string{"cold", "gap", "down", "big", "train", "hash", "watch"}
	m := map[string]bool{}
	for _, s := range all {
		m[s] = only == ""
	}
	for _, s := range strings.Split(only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			m[s] = true
		}
	}
	return m
}

func rotate(ts []tool, i int) []tool {
	k := i % len(ts)
	return append(append([]tool{}, ts[k:]...), ts[:k]...)
}

func names(ts []tool) string {
	if len(ts) == 0 {
		return "none installed"
	}
	var n []string
	for _, t := range ts {
		n = append(n, t.name)
	}
	return strings.Join(n, ", ")
}

// fmtDur prints a duration the way the table shows it.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}
