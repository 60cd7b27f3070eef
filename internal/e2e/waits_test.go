package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/testenv"
)

// whenRunning calls fn with the ID of the service's container once it runs, in the background.
func whenRunning(ctx context.Context, p *testenv.Project, service string, fn func(id string)) {
	go func() {
		for ctx.Err() == nil {
			for _, c := range p.Containers() {
				if c.Labels[labels.Service] == service && c.State == "running" {
					fn(c.ID)
					return
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
}

// A restart: always dependency stopped by hand while up --wait waits for it is never restarted by
// the engine: up fails at once, naming it and how it ended, instead of waiting out its timeout.
func TestUpWaitFailsWhenADependencyIsStoppedByHand(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  db:
    image: ${FIXTURE}
    command: ["serve", "--healthy-after", "1h"]
    restart: always
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms, retries: 1000}
  api:
    image: ${FIXTURE}
    command: ["sleep"]
    depends_on: {db: {condition: service_healthy}}
`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	whenRunning(ctx, p, "db", func(id string) {
		timeout := 1
		if err := p.Eng.ContainerStop(ctx, id, container.StopOptions{Timeout: &timeout}); err != nil {
			t.Errorf("stop db: %v", err)
		}
	})
	r := p.Run("up", "-d", "--wait", "--wait-timeout", "60")
	if r.Code == 0 {
		t.Fatal("up --wait succeeded with its dependency stopped")
	}
	if !strings.Contains(r.Stderr, `service "db" was stopped`) {
		t.Fatalf("the error does not say db was stopped:\n%s", r.Stderr)
	}
	if strings.Contains(r.Stderr, "timed out") {
		t.Fatalf("up waited out its timeout instead of failing at once:\n%s", r.Stderr)
	}
	for _, c := range p.Containers() {
		if c.Labels[labels.Service] == "api" {
			t.Errorf("api was created although db never became healthy")
		}
	}
}

// A one-shot dependency that exits about a second after it was started, while the next up
// subscribes to events and lists containers, is seen as completed: up neither hangs nor reruns it.
func TestOneShotDependencyExitingJustBeforeUp(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  init:
    image: ${FIXTURE}
    command: ["exit", "--after", "1s", "--code", "0"]
  app:
    image: ${FIXTURE}
    command: ["sleep"]
    depends_on: {init: {condition: service_completed_successfully}}
`)
	p.MustRun("up", "-d", "init")
	r := p.Run("up", "-d", "--wait", "--wait-timeout", "60")
	if r.Code != 0 {
		t.Fatalf("up --wait after a one-shot dependency exited: exit %d\n%s", r.Code, r.Stderr)
	}
	if in := p.Inspect("app"); !in.State.Running {
		t.Fatalf("app is %s", in.State.Status)
	}
	if in := p.Inspect("init"); in.State.ExitCode != 0 || in.RestartCount != 0 {
		t.Fatalf("init: exit %d, restarts %d", in.State.ExitCode, in.RestartCount)
	}
}

const realFaultStack = `
services:
  db:
    image: ${FIXTURE}
    command: ["serve", "--healthy-after", "%s"]
    restart: %s
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 300ms, retries: 20}
  init:
    image: ${FIXTURE}
    command: ["exit", "--after", "%s", "--code", "0"]
  cache:
    image: ${FIXTURE}
    command: ["sleep"]
    restart: %s
  job:
    image: ${FIXTURE}
    command: ["exit", "--code", "0"]
    profiles: [jobs]
    depends_on:
      db: {condition: service_healthy}
      init: {condition: service_completed_successfully}
      cache: {condition: service_started}
`

// TestRandomFaultsRealEngine is TestRandomFaults (internal/stack) on the real engine with the built
// binary: a few seeds (MLSTACK_FAULT_SEEDS, default 3; MLSTACK_FAULT_TIME runs seeds for that long).
func TestRandomFaultsRealEngine(t *testing.T) {
	n, until := 3, time.Time{}
	if v, err := strconv.Atoi(os.Getenv("MLSTACK_FAULT_SEEDS")); err == nil {
		n = v
	}
	if d, err := time.ParseDuration(os.Getenv("MLSTACK_FAULT_TIME")); err == nil {
		n, until = 1<<30, time.Now().Add(d)
	}
	policies := []string{"always", "unless-stopped", "on-failure", "no"}
	for seed := 0; seed < n; seed++ {
		if !until.IsZero() && time.Now().After(until) {
			t.Logf("%d seeds in the time given", seed)
			break
		}
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 7))
			p := testenv.NewProject(t, fmt.Sprintf(realFaultStack,
				[]string{"0s", "1s", "2s"}[rng.IntN(3)], policies[rng.IntN(4)],
				[]string{"0s", "500ms", "1s"}[rng.IntN(3)], policies[rng.IntN(4)]))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go realFaults(ctx, p, rand.New(rand.NewPCG(uint64(seed), 11)))
			const waitTimeout = 20
			args := []string{"up", "-d", "--wait", "--wait-timeout", strconv.Itoa(waitTimeout)}
			if rng.IntN(2) == 0 {
				args = []string{"--profile", "jobs", "run", "--rm", "job"}
			}
			// The bound is generous for a loaded machine; a hang shows as the command being killed.
			callCtx, callCancel := context.WithTimeout(context.Background(), (waitTimeout+60)*time.Second)
			defer callCancel()
			out, err := p.Command(callCtx, nil, args...).CombinedOutput()
			cancel()
			if callCtx.Err() != nil {
				t.Fatalf("mlstack %v did not return within its bound:\n%s", args, out)
			}
			if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() != 0 {
				msg := string(out)
				if !strings.Contains(msg, `"db"`) && !strings.Contains(msg, `"init"`) && !strings.Contains(msg, `"cache"`) && !strings.Contains(msg, `"job"`) {
					t.Fatalf("mlstack %v failed without naming a service:\n%s", args, msg)
				}
			} else if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// realFaults kills, stops, removes or restarts one of the project's containers every few hundred
// milliseconds until ctx ends.
func realFaults(ctx context.Context, p *testenv.Project, rng *rand.Rand) {
	for ctx.Err() == nil {
		select {
		case <-time.After(time.Duration(100+rng.IntN(900)) * time.Millisecond):
		case <-ctx.Done():
			return
		}
		cs := p.Containers()
		if len(cs) == 0 {
			continue
		}
		c := cs[rng.IntN(len(cs))]
		zero := 0
		switch rng.IntN(4) {
		case 0:
			_ = p.Eng.ContainerKill(ctx, c.ID, "KILL")
		case 1:
			_ = p.Eng.ContainerStop(ctx, c.ID, container.StopOptions{Timeout: &zero})
		case 2:
			_ = p.Eng.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
		case 3:
			_ = p.Eng.ContainerRestart(ctx, c.ID, container.StopOptions{Timeout: &zero})
		}
	}
}
