package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Scenario keys of results.
const (
	scCold  = "cold"
	scGap   = "gap"
	scNoop  = "noop"
	scPs    = "ps"
	scStart = "start"
	scDown  = "down"
	scTrain = "train"
	scBig   = "big"
)

// results holds every sample: scenario -> tool name -> runs.
type results map[string]map[string][]sample

func (res results) add(scenario, tool string, s sample) {
	if res[scenario] == nil {
		res[scenario] = map[string][]sample{}
	}
	res[scenario][tool] = append(res[scenario][tool], s)
}

// roundCold times a cold up of the ML stack to all healthy, then a no-op `up -d` and `ps` on it.
func (r *runner) roundCold(ctx context.Context, t tool, res results) {
	r.roundUp(ctx, t, res, scCold, mlStack(), true)
}

// roundGap times a cold up of the stack whose readiness falls between health probes.
func (r *runner) roundGap(ctx context.Context, t tool, res results) {
	r.roundUp(ctx, t, res, scGap, gapStack(), false)
}

// roundUp times a cold up of s to all healthy under key and, with idle, a no-op `up -d` and `ps`.
func (r *runner) roundUp(ctx context.Context, t tool, res results, key string, s stack, idle bool) {
	p, err := r.newProject(key, s)
	defer r.purge(p)
	if err != nil {
		res.add(key, t.name, sample{err: err})
		return
	}
	o, err := r.observe(ctx, p)
	if err != nil {
		res.add(key, t.name, sample{err: err})
		return
	}
	cold := r.timed(ctx, o, allUp(s.expectations()), t, p, upArgs(t)...)
	cold.hops = r.traceHops(o, cold, s)
	res.add(key, t.name, cold)
	if cold.err != nil || !idle {
		return
	}
	before := o.createdCount()
	noop := r.timed(ctx, o, nil, t, p, "up", "-d")
	if n := o.createdCount() - before; n > 0 && noop.err == nil {
		noop.err = fmt.Errorf("%s up -d on an unchanged stack created %d containers", t.name, n)
	}
	res.add(scNoop, t.name, noop)
	res.add(scPs, t.name, r.timed(ctx, o, nil, t, p, "ps"))
	// What no command can go below: starting the program and printing its help, with no project
	// loaded and no engine call (mlstack's `version` asks the engine for its version, so not that).
	res.add(scStart, t.name, r.timed(ctx, o, nil, t, p, "--help"))
}

// roundDown brings up the ML stack plus a worker that ignores SIGTERM (untimed), then times `down`
// until every container and the network are gone.
func (r *runner) roundDown(ctx context.Context, t tool, res results) {
	s := downStack()
	p, err := r.newProject("down", s)
	defer r.purge(p)
	if err == nil {
		err = r.bringUp(ctx, t, p, s)
	}
	if err != nil {
		res.add(scDown, t.name, sample{err: err})
		return
	}
	o, err := r.observe(ctx, p)
	if err != nil {
		res.add(scDown, t.name, sample{err: err})
		return
	}
	res.add(scDown, t.name, r.timed(ctx, o, allGone, t, p, "down"))
}

// roundTrain brings up a training job's dependencies (untimed), then times `mlstack train job`
// against `run --rm job` until the job's container has exited 0.
func (r *runner) roundTrain(ctx context.Context, t tool, res results) {
	s := trainStack()
	p, err := r.newProject("train", s)
	defer r.purge(p)
	if err == nil {
		err = r.bringUp(ctx, t, p, s)
	}
	if err != nil {
		res.add(scTrain, t.name, sample{err: err})
		return
	}
	o, err := r.observe(ctx, p)
	if err != nil {
		res.add(scTrain, t.name, sample{err: err})
		return
	}
	args := []string{"run", "--rm", "job"}
	if t.name == "mlstack" {
		args = []string{"train", "job"}
	}
	res.add(scTrain, t.name, r.timed(ctx, o, jobExited("job"), t, p, args...))
}

// roundBig times a cold up of the 100-service project to every service ready.
func (r *runner) roundBig(ctx context.Context, t tool, res results) {
	s := bigStack()
	p, err := r.newProject("big", s)
	defer r.purge(p)
	if err != nil {
		res.add(scBig, t.name, sample{err: err})
		return
	}
	o, err := r.observe(ctx, p)
	if err != nil {
		res.add(scBig, t.name, sample{err: err})
		return
	}
	big := r.timed(ctx, o, allUp(s.expectations()), t, p, upArgs(t)...)
	big.hops = r.traceHops(o, big, s)
	res.add(scBig, t.name, big)
}

func (o *observer) createdCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.created
}

var benchLine = regexp.MustCompile(`^BenchmarkHash10k/(\w+)\S*\s+\d+\s+([\d.]+) ns/op`)

// hashBench runs internal/build's BenchmarkHash10k (10,000 files, 9,000 of them under ignored
// directories) and returns its warm and cold figures.
func hashBench(ctx context.Context, root string) ([]row, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "^BenchmarkHash10k$", "-benchtime", "10x", "-count", "1", "./internal/build")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return []row{{scenario: "build-context hash, 10k files", ml: "error", target: "≤ 100 ms warm"}}, fmt.Errorf("go test -bench BenchmarkHash10k: %w\n%s", err, tail(string(out), 10))
	}
	got := map[string]time.Duration{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if m := benchLine.FindStringSubmatch(sc.Text()); m != nil {
			ns, _ := strconv.ParseFloat(m[2], 64)
			got[m[1]] = time.Duration(ns)
		}
	}
	var rows []row
	for _, k := range []string{"warm", "cold"} {
		if d, ok := got[k]; ok {
			r := row{scenario: "build-context hash, 10k files (" + k + " cache)", ml: fmtDur(d), target: "—", met: "—"}
			if k == "warm" {
				r.target = "≤ 100 ms"
				r.met = verdict(check(d <= 100*time.Millisecond))
			}
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no BenchmarkHash10k results in:\n%s", tail(string(out), 10))
	}
	return rows, nil
}

// Watch targets of issue 16.
const (
	watchP50 = 15 * time.Millisecond
	watchP99 = 40 * time.Millisecond
)

var resultRe = regexp.MustCompile(`(?m)^RESULT tool="([^"]+)" p50=([\d.]+ms) p99=([\d.]+ms) max=\S+ rss="[^"]*" hwm="([^"]*)"`)

// watchResult is one tool's line from bench/watch.
type watchResult struct {
	p50, p99 time.Duration
	hwm      string
}

// watchBench runs bench/watch for mlstack and Compose v5 (the same project, file and edits) and
// lifts p50, p99 and peak RSS out of its RESULT lines; its whole output goes into the report too.
// Other references get "n/a": docker-compose 1.x rejects a file with `develop:`.
func watchBench(ctx context.Context, root, bin string, v5 tool, nrefs, edits int) ([]row, string) {
	lat := row{scenario: "watch edit-to-visible p50 / p99 (one file, same edits, read over HTTP from outside)", target: fmt.Sprintf("p50 ≤ %s, p99 ≤ %s", fmtDur(watchP50), fmtDur(watchP99)), met: "—"}
	mem := row{scenario: "watch peak RSS, 10k-file tree (9k files ignored)", target: "reported", met: "—"}
	cmd := exec.CommandContext(ctx, "go", "run", "./bench/watch", "-edits", fmt.Sprint(edits), "-compose-v5", v5.argv[0])
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "MLSTACK_BIN="+bin, "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	raw := string(out)
	if err != nil {
		lat.ml, mem.ml = "error (see below)", "error (see below)"
		raw += "\n" + err.Error()
	}
	got := parseWatch(raw)
	text := func(w watchResult) string { return fmtDur(w.p50) + " / " + fmtDur(w.p99) }
	if ml, ok := got["mlstack"]; ok {
		lat.ml, mem.ml = text(ml), ml.hwm
		lat.met = verdict(check(ml.p50 <= watchP50 && ml.p99 <= watchP99))
	}
	for i := range nrefs {
		ref, refOK := got[v5.name]
		ml, mlOK := got["mlstack"]
		switch {
		case i > 0:
			lat.refs, lat.ratios = append(lat.refs, "n/a (no `develop:`)"), append(lat.ratios, "—")
			mem.refs, mem.ratios = append(mem.refs, "n/a"), append(mem.ratios, "—")
		case refOK:
			lat.refs = append(lat.refs, text(ref))
			mem.refs = append(mem.refs, ref.hwm)
			if mlOK {
				lat.ratios = append(lat.ratios, ratioText(float64(ml.p50), float64(ref.p50))+" (p50)")
				mem.ratios = append(mem.ratios, ratioText(megabytes(ml.hwm), megabytes(ref.hwm)))
			} else {
				lat.ratios, mem.ratios = append(lat.ratios, "—"), append(mem.ratios, "—")
			}
		default:
			lat.refs, lat.ratios = append(lat.refs, "failed"), append(lat.ratios, "—")
			mem.refs, mem.ratios = append(mem.refs, "failed"), append(mem.ratios, "—")
		}
	}
	return []row{lat, mem}, raw
}

// parseWatch reads bench/watch's RESULT lines, by tool name.
func parseWatch(raw string) map[string]watchResult {
	got := map[string]watchResult{}
	for _, m := range resultRe.FindAllStringSubmatch(raw, -1) {
		p50, _ := time.ParseDuration(m[2])
		p99, _ := time.ParseDuration(m[3])
		got[m[1]] = watchResult{p50: p50, p99: p99, hwm: m[4]}
	}
	return got
}

// megabytes reads "20.3 MB" as megabytes, 0 when it is not one.
func megabytes(s string) float64 {
	var v float64
	fmt.Sscanf(s, "%f MB", &v)
	return v
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
