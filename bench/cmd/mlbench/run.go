package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/labels"
)

// tool is one command-line front end being timed.
type tool struct {
	name string
	argv []string
	// wait says whether `up --wait` exists; docker-compose 1.x has none, so the observer alone says
	// when its stack is healthy.
	wait bool
}

// project is one fresh compose project on disk.
type project struct {
	name, dir string
}

// runner holds what every scenario shares.
type runner struct {
	eng     *engine.Client
	image   string
	verbose bool
	mu      sync.Mutex
	made    []project // every project created, for the final clean-up
	log     []string  // every progress line, for the results file
}

// logf records a progress line and, when verbose, prints it on stderr.
func (r *runner) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	r.mu.Lock()
	r.log = append(r.log, line)
	r.mu.Unlock()
	if r.verbose {
		fmt.Fprintln(os.Stderr, line)
	}
}

// fmtKB prints a resident set size given in KiB.
func fmtKB(kb int64) string {
	if kb <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f MB", float64(kb)/1024)
}

// newProject writes the stack into a new temporary directory under a fresh project name.
func (r *runner) newProject(scenario string, s stack) (project, error) {
	b := make([]byte, 3)
	rand.Read(b)
	p := project{name: "mlb-" + scenario + "-" + hex.EncodeToString(b)}
	dir, err := os.MkdirTemp("", p.name+"-")
	if err != nil {
		return p, err
	}
	p.dir = dir
	r.mu.Lock()
	r.made = append(r.made, p)
	r.mu.Unlock()
	return p, os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(s.yaml(r.image)), 0o644)
}

// invocation is a tool's command started in the background.
type invocation struct {
	start time.Time
	end   time.Time
	out   bytes.Buffer
	err   error
	rssKB int64 // the process's peak resident set, from the kernel's accounting at exit
	done  chan struct{}
}

// launch starts TOOL -p NAME -f compose.yaml ARGS... in the project's directory.
func (r *runner) launch(ctx context.Context, t tool, p project, args ...string) *invocation {
	argv := append(append(append([]string{}, t.argv...), "-p", p.name, "-f", "compose.yaml"), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	inv := &invocation{done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &inv.out, &inv.out
	inv.start = time.Now()
	if err := cmd.Start(); err != nil {
		inv.err = err
		inv.end = time.Now()
		close(inv.done)
		return inv
	}
	go func() {
		err := cmd.Wait()
		inv.end = time.Now()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			inv.rssKB = ru.Maxrss
		}
		if err != nil {
			inv.err = fmt.Errorf("%s %s: %w\n%s", t.name, strings.Join(args, " "), err, tail(inv.out.String(), 12))
		}
		close(inv.done)
	}()
	return inv
}

// finish waits for the command to exit.
func (inv *invocation) finish(ctx context.Context) error {
	select {
	case <-inv.done:
		return inv.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// exitGrace is how long the observer keeps waiting for the target state after the tool exited 0.
const exitGrace = time.Minute

// sample is one timed run: observed is when the engine reached the target state, wall when the tool
// exited, both from the moment the tool was started. firstCreate and lastStart are the engine's
// first container create and last container start in the run, on the same clock (0 when none):
// before the first create is the tool's own start-up, after the last start the health tail.
type sample struct {
	observed, wall         time.Duration
	firstCreate, lastStart time.Duration
	// createToStart is the median time a container of the run took from create to first start;
	// idle how long, between the first create and the last start, none was between the two.
	createToStart, idle time.Duration
	// began is when the tool was started; hops the run's dependency hops (hops.go), for ups.
	began time.Time
	hops  []hop
	rssKB int64
	err   error
}

// timed runs the tool and waits both for the observer's condition and for the tool to exit.
func (r *runner) timed(ctx context.Context, o *observer, cond func(*observer) bool, t tool, p project, args ...string) sample {
	// Generous: a 100-service up took minutes per tool on the loaded shared machine.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	inv := r.launch(ctx, t, p, args...)
	var s sample
	if cond != nil {
		// A tool that fails never reaches the state: stop waiting when it exits with an error, or
		// exitGrace after it exits 0 (docker-compose 1.x returns before health, so some grace).
		wctx, wcancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-inv.done:
			case <-wctx.Done():
				return
			}
			if inv.err != nil {
				wcancel()
				return
			}
			select {
			case <-time.After(exitGrace):
				wcancel()
			case <-wctx.Done():
			}
		}()
		at, err := o.wait(wctx, cond)
		wcancel()
		if err != nil && inv.err == nil {
			s.err = fmt.Errorf("%s %s: state not reached (%v): %s", t.name, strings.Join(args, " "), err, o.summary())
		}
		s.observed = at.Sub(inv.start)
	}
	if err := inv.finish(ctx); err != nil && s.err == nil {
		s.err = err
	}
	s.wall = inv.end.Sub(inv.start)
	s.began = inv.start
	s.rssKB = inv.rssKB
	if cond == nil {
		s.observed = s.wall
	}
	first, last := o.span(inv.start)
	if !first.IsZero() {
		s.firstCreate = first.Sub(inv.start)
	}
	if !last.IsZero() {
		s.lastStart = last.Sub(inv.start)
	}
	s.createToStart, s.idle = o.trace(inv.start)
	r.logf("  %-22s %-24s observed %-9s exit %-9s first create %-8s last start %-8s rss %s %v", t.name, strings.Join(args, " "), fmtDur(s.observed), fmtDur(s.wall), fmtDur(s.firstCreate), fmtDur(s.lastStart), fmtKB(s.rssKB), errText(s.err))
	return s
}

// upArgs is the cold-up command: `up -d --wait`, or `up -d` where the tool has no --wait.
func upArgs(t tool, services ...string) []string {
	if t.wait {
		return append([]string{"up", "-d", "--wait"}, services...)
	}
	return append([]string{"up", "-d"}, services...)
}

// bringUp starts the stack untimed and returns once every service is in its expected state.
func (r *runner) bringUp(ctx context.Context, t tool, p project, s stack) error {
	o, err := r.observe(ctx, p)
	if err != nil {
		return err
	}
	if smp := r.timed(ctx, o, allUp(s.expectations()), t, p, upArgs(t)...); smp.err != nil {
		return fmt.Errorf("set up %s: %w", p.name, smp.err)
	}
	return nil
}

func (r *runner) observe(ctx context.Context, p project) (*observer, error) {
	return observe(ctx, r.eng, p.name)
}

// purge force-removes everything labelled with the project and its directory.
func (r *runner) purge(p project) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := filters.NewArgs(filters.Arg("label", labels.ProjectFilter(p.name)))
	if cs, err := r.eng.ContainerList(ctx, container.ListOptions{All: true, Filters: f}); err == nil {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for _, c := range cs {
			wg.Add(1)
			sem <- struct{}{}
			go func(id string) {
				defer wg.Done()
				defer func() { <-sem }()
				_ = r.eng.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
			}(c.ID)
		}
		wg.Wait()
	}
	if ns, err := r.eng.NetworkList(ctx, network.ListOptions{Filters: f}); err == nil {
		for _, n := range ns {
			_ = r.eng.NetworkRemove(ctx, n.ID)
		}
	}
	// docker-compose 1.x labels its default network too, but remove by name as well to be sure.
	_ = r.eng.NetworkRemove(ctx, p.name+"_default")
	if vs, err := r.eng.VolumeList(ctx, volume.ListOptions{Filters: f}); err == nil {
		for _, v := range vs.Volumes {
			_ = r.eng.VolumeRemove(ctx, v.Name, true)
		}
	}
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}

// purgeAll removes every project this run created, whatever happened.
func (r *runner) purgeAll() {
	r.mu.Lock()
	made := r.made
	r.made = nil
	r.mu.Unlock()
	for _, p := range made {
		r.purge(p)
	}
}

// startLatency measures one fixture container's create+start through the Engine API (median of n).
func (r *runner) startLatency(ctx context.Context, n int) (time.Duration, error) {
	p := project{name: "mlb-latency-" + randHex()}
	r.mu.Lock()
	r.made = append(r.made, p)
	r.mu.Unlock()
	defer r.purge(p)
	var ds []time.Duration
	for i := range n {
		cfg := &container.Config{Image: r.image, Cmd: []string{"sleep"}, Labels: map[string]string{labels.Project: p.name}}
		t0 := time.Now()
		c, err := r.eng.ContainerCreate(ctx, cfg, &container.HostConfig{}, nil, nil, fmt.Sprintf("%s-%d", p.name, i))
		if err != nil {
			return 0, fmt.Errorf("create latency probe: %w", err)
		}
		if err := r.eng.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
			return 0, fmt.Errorf("start latency probe: %w", err)
		}
		ds = append(ds, time.Since(t0))
	}
	return median(ds), nil
}

// throughput measures the engine's amortised create+start cost per container when n fixture
// containers on one user network (as a compose project has) are started at once: with enough
// services the engine, not the dependency chain, bounds up. The engine serialises much of this
// work, so more concurrency does not lower it.
func (r *runner) throughput(ctx context.Context, n int) (time.Duration, error) {
	p := project{name: "mlb-throughput-" + randHex()}
	r.mu.Lock()
	r.made = append(r.made, p)
	r.mu.Unlock()
	defer r.purge(p)
	lbl := map[string]string{labels.Project: p.name}
	if _, err := r.eng.NetworkCreate(ctx, p.name+"_default", network.CreateOptions{Labels: lbl}); err != nil {
		return 0, fmt.Errorf("throughput probe network: %w", err)
	}
	errs := make(chan error, n)
	t0 := time.Now()
	for i := range n {
		go func(i int) {
			cfg := &container.Config{Image: r.image, Cmd: []string{"sleep"}, Labels: lbl}
			hc := &container.HostConfig{NetworkMode: container.NetworkMode(p.name + "_default")}
			c, err := r.eng.ContainerCreate(ctx, cfg, hc, nil, nil, fmt.Sprintf("%s-%d", p.name, i))
			if err == nil {
				err = r.eng.ContainerStart(ctx, c.ID, container.StartOptions{})
			}
			errs <- err
		}(i)
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = fmt.Errorf("throughput probe: %w", err)
		}
	}
	return time.Since(t0) / time.Duration(n), first
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func randHex() string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return "ERROR " + strings.SplitN(err.Error(), "\n", 2)[0]
}
