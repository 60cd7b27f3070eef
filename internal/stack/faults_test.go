package stack

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/enginefake"
	"github.com/mlstack/mlstack/internal/project"
)

// faultSeeds is how many seeds TestRandomFaults runs: MLSTACK_FAULT_SEEDS, default 300. With
// MLSTACK_FAULT_TIME (a duration) it runs seeds until that time is spent instead, as CI does.
func faultSeeds(t *testing.T) (n int, until time.Time) {
	if d, err := time.ParseDuration(os.Getenv("MLSTACK_FAULT_TIME")); err == nil {
		return 1 << 30, time.Now().Add(d)
	}
	if v, err := strconv.Atoi(os.Getenv("MLSTACK_FAULT_SEEDS")); err == nil {
		return v, time.Time{}
	}
	return 300, time.Time{}
}

const faultStack = `
services:
  db:
    image: fixture
    restart: %s
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 1s}
  init:
    image: fixture
  cache:
    image: fixture
    restart: %s
  job:
    image: fixture
    depends_on:
      db: {condition: service_healthy}
      init: {condition: service_completed_successfully}
      cache: {condition: service_started}
`

// TestRandomFaults kills, stops, removes, crashes and restarts containers at random moments while
// `up --wait` or a one-off job's dependency wait runs, and checks that every call returns within its
// bound, and that a failure names a service.
func TestRandomFaults(t *testing.T) {
	n, until := faultSeeds(t)
	policies := []string{"always", "unless-stopped", "on-failure", "no"}
	outcomes := map[string]int{}
	defer func() { t.Logf("outcomes: %v", outcomes) }()
	projects := map[string]*project.Project{} // loading is the slow part of a seed; a stack is not
	for seed := 0; seed < n; seed++ {
		if !until.IsZero() && time.Now().After(until) {
			t.Logf("%d seeds in the time given", seed)
			break
		}
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		yaml := fmt.Sprintf(faultStack, policies[rng.IntN(4)], policies[rng.IntN(4)])
		if projects[yaml] == nil {
			projects[yaml] = newFakeStack(t, yaml).Project
		}
		fs := onFakeEngine(projects[yaml])
		dbHealth := []string{"healthy", "healthy", "unhealthy", ""}[rng.IntN(4)]
		fs.eng.SetBehavior("db", enginefake.Behavior{Health: dbHealth, ProbeExit: rng.IntN(2)})
		fs.eng.SetBehavior("init", enginefake.Behavior{Exit: ptr([]int{0, 0, 0, 1}[rng.IntN(4)])})
		fs.eng.SetBehavior("job", enginefake.Behavior{Exit: ptr(0)})
		oneOff := rng.IntN(2) == 0
		waitTimeout := 300 * time.Millisecond

		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			injectFaults(ctx, fs.eng, rand.New(rand.NewPCG(uint64(seed), 11)))
		}()
		// The bound: --wait-timeout plus a generous margin for a loaded machine. Without a fault or
		// a timeout every wait settles on its own (healthy, unhealthy, exited, stopped, removed).
		bound := waitTimeout + 10*time.Second
		callCtx, callCancel := context.WithTimeout(context.Background(), bound)
		var err error
		start := time.Now()
		what := "up --wait"
		if oneOff {
			what = "run job"
			_, err = fs.RunOneOff(callCtx, OneOffOptions{Service: "job"})
		} else {
			err = fs.Up(callCtx, UpOptions{Detach: true, Wait: true, WaitTimeout: waitTimeout})
		}
		hung := callCtx.Err() != nil
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Logf("seed %d: %s took %s: %v", seed, what, d, err)
		}
		callCancel()
		cancel()
		wg.Wait()
		if hung {
			t.Fatalf("seed %d: %s did not return within %s (db health %q): %v", seed, what, bound, dbHealth, err)
		}
		outcomes[outcome(err)]++
		if err != nil && !namesService(err.Error()) {
			t.Fatalf("seed %d: %s failed without naming a service: %v", seed, what, err)
		}
	}
}

// outcome classifies a call's result for the test's log, to show the seeds reach every path.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case strings.Contains(err.Error(), "timed out"):
		return "timed out"
	case strings.Contains(err.Error(), "was removed"), strings.Contains(err.Error(), "was stopped"), strings.Contains(err.Error(), "was killed"):
		return "ended by hand"
	case strings.Contains(err.Error(), "unhealthy"):
		return "unhealthy"
	case strings.Contains(err.Error(), "exited with code"):
		return "exited"
	}
	return "other"
}

func namesService(msg string) bool {
	for _, s := range []string{`"db"`, `"init"`, `"cache"`, `"job"`, "db:", "init:", "cache:", "job:"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// injectFaults does a random thing to a random container every few hundred microseconds until ctx ends.
func injectFaults(ctx context.Context, eng *enginefake.Engine, rng *rand.Rand) {
	for ctx.Err() == nil {
		time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
		cs := eng.Containers()
		if len(cs) == 0 || rng.IntN(3) != 0 {
			continue
		}
		c := cs[rng.IntN(len(cs))]
		bg := context.Background()
		switch rng.IntN(6) {
		case 0:
			_ = eng.ContainerKill(bg, c.ID, "9")
		case 1:
			_ = eng.ContainerStop(bg, c.ID, container.StopOptions{})
		case 2:
			_ = eng.ContainerRemove(bg, c.ID, container.RemoveOptions{Force: true})
		case 3:
			_ = eng.Crash(c.ID, 1+rng.IntN(2))
		case 4:
			_ = eng.ContainerRestart(bg, c.ID, container.StopOptions{})
		case 5:
			_ = eng.SetHealth(c.ID, []string{"healthy", "unhealthy"}[rng.IntN(2)])
		}
	}
}
