package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Scenario keys of results.
const (
	scCold  = "cold"
	scNoop  = "noop"
	scPs    = "ps"
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
	s := mlStack()
	p, err := r.newProject("cold", s)
	defer r.purge(p)
	if err != nil {
		res.add(scCold, t.name, sample{err: err})
		return
	}
	o, err := r.observe(ctx, p)
	if err != nil {
		res.add(scCold, t.name, sample{err: err})
		return
	}
	cold := r.timed(ctx, o, allUp(s.expectations()), t, p, upArgs(t)...)
	res.add(scCold, t.name, cold)
	if cold.err != nil {
		return
	}
	before := o.createdCount()
	noop := r.timed(ctx, o, nil, t, p, "up", "-d")
	if n := o.createdCount() - before; n > 0 && noop.err == nil {
		noop.err = fmt.Errorf("%s up -d on an unchanged stack created %d containers", t.name, n)
	}
	res.add(scNoop, t.name, noop)
	res.add(scPs, t.name, r.timed(ctx, o, nil, t, p, "ps"))
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
	res.add(scBig, t.name, r.timed(ctx, o, allUp(s.expectations()), t, p, upArgs(t)...))
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
			r := row{scenario: "build-context hash, 10k files (" + k + " cache)", ml: fmtDur(d), reference: "—"}
			if k == "warm" {
				r.target = "≤ 100 ms"
				r.met = verdict(d <= 100*time.Millisecond)
			}
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no BenchmarkHash10k results in:\n%s", tail(string(out), 10))
	}
	return rows, nil
}

var (
	p50Re = regexp.MustCompile(`(?i)p50[^\n]{0,40}?\b([\d.]+\s*(?:µs|us|ms|s)\b)`)
	p99Re = regexp.MustCompile(`(?i)p99[^\n]{0,40}?\b([\d.]+\s*(?:µs|us|ms|s)\b)`)
	rssRe = regexp.MustCompile(`(?i)rss[^\n]{0,40}?\b([\d.]+\s*(?:[kmg]i?b)\b)`)
)

// watchBench runs the watch helper's benchmark under bench/watch when it exists and lifts p50, p99
// and RSS out of what it prints; its whole output goes into the report too.
func watchBench(ctx context.Context, root, bin string) ([]row, string) {
	rows := []row{
		{scenario: "watch edit-to-visible p50 / p99", ml: "n/a", target: "≤ 50 ms / ≤ 200 ms"},
		{scenario: "watch RSS, 10k-file tree", ml: "n/a", target: "≤ 50 MB"},
	}
	goFiles, _ := filepath.Glob(filepath.Join(root, "bench", "watch", "*.go"))
	var mains, tests int
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			tests++
		} else {
			mains++
		}
	}
	script := filepath.Join(root, "bench", "watch", "run.sh")
	var cmd *exec.Cmd
	switch {
	case fileExists(script):
		cmd = exec.CommandContext(ctx, "bash", script)
	case mains > 0 && hasMain(goFiles):
		cmd = exec.CommandContext(ctx, "go", "run", "./bench/watch")
	case tests > 0:
		cmd = exec.CommandContext(ctx, "go", "test", "-count=1", "-run", "^$", "-bench", ".", "-benchtime", "1x", "-v", "./bench/watch")
	default:
		rows[0].ml, rows[1].ml = "n/a (bench/watch not built)", "n/a (bench/watch not built)"
		return rows, ""
	}
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "MLSTACK_BIN="+bin, "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	raw := string(out)
	if err != nil {
		rows[0].ml, rows[1].ml = "error (see below)", "error (see below)"
		return rows, raw + "\n" + err.Error()
	}
	p50, p99 := first(p50Re, raw), first(p99Re, raw)
	if p50 != "" || p99 != "" {
		rows[0].ml = orDash(p50) + " / " + orDash(p99)
		d50, err50 := time.ParseDuration(strings.ReplaceAll(p50, " ", ""))
		d99, err99 := time.ParseDuration(strings.ReplaceAll(p99, " ", ""))
		if err50 == nil && err99 == nil {
			rows[0].met = verdict(d50 <= 50*time.Millisecond && d99 <= 200*time.Millisecond)
		}
	} else {
		rows[0].ml = "see below"
	}
	if rss := first(rssRe, raw); rss != "" {
		rows[1].ml = rss
		if mb, ok := megabytes(rss); ok {
			rows[1].met = verdict(mb <= 50)
		}
	} else {
		rows[1].ml = "see below"
	}
	return rows, raw
}

// megabytes reads "20.3 MB", "19 MiB", "900 kB" or "1.1 GB" as megabytes.
func megabytes(s string) (float64, bool) {
	f := strings.Fields(strings.ToLower(strings.TrimSpace(s)))
	if len(f) == 1 { // "20MB"
		i := strings.IndexFunc(f[0], func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
		if i <= 0 {
			return 0, false
		}
		f = []string{f[0][:i], f[0][i:]}
	}
	if len(f) != 2 {
		return 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, false
	}
	switch strings.TrimSuffix(strings.TrimSuffix(f[1], "b"), "i") {
	case "k":
		return v / 1024, true
	case "m":
		return v, true
	case "g":
		return v * 1024, true
	}
	return 0, false
}

// hasMain reports whether one of the files is a main package.
func hasMain(files []string) bool {
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && regexp.MustCompile(`(?m)^package main\b`).Match(b) {
			return true
		}
	}
	return false
}

func first(re *regexp.Regexp, s string) string {
	if m := re.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
