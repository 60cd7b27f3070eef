package e2e

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/testenv"
)

const slowStack = `
services:
  db:
    image: ${FIXTURE}
    command: ["serve", "--healthy-after", "3s"]
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms, retries: 60}
  api:
    image: ${FIXTURE}
    depends_on: {db: {condition: service_healthy}}
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms, retries: 60}
  side:
    image: ${FIXTURE}
    command: ["sleep"]
`

// Ctrl-C in the middle of `up -d --wait` must leave a state the next up finishes from, with no
// duplicate or orphan container or network.
func TestCtrlCDuringDetachedUpLeavesAConvergeableState(t *testing.T) {
	p := testenv.NewProject(t, slowStack)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := p.Command(ctx, nil, "up", "-d", "--wait")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "db-1") && strings.Contains(sc.Text(), "Started") {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	go func() {
		for sc.Scan() {
		}
	}()
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("Ctrl-C during up -d --wait: %v, want exit 130", err)
	}
	p.MustRun("up", "-d", "--wait")
	seen := map[string]int{}
	for _, c := range p.Containers() {
		seen[c.Labels[labels.Service]]++
		if c.State != "running" {
			t.Errorf("%s is %s after the second up", c.Names[0], c.State)
		}
	}
	if seen["db"] != 1 || seen["api"] != 1 || seen["side"] != 1 {
		t.Fatalf("containers per service after interrupted + repeated up: %v", seen)
	}
	if _, n, _ := testenv.Counts(t, p.Eng, p.Name); n != 1 {
		t.Fatalf("%d networks, want 1", n)
	}
}

// A dependency the engine will restart is given until its retries run out, not failed on the first
// exit; when they run out, up fails naming it.
func TestRestartingDependencyGetsItsRetries(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  flaky:
    image: ${FIXTURE}
    command: ["exit", "--after", "100ms", "--code", "3", "--message", "cannot reach store"]
    restart: on-failure:2
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms, retries: 10}
  app:
    image: ${FIXTURE}
    depends_on: {flaky: {condition: service_healthy}}
`)
	r := p.Run("up", "-d", "--wait", "--wait-timeout", "60")
	if r.Code == 0 {
		t.Fatal("up succeeded with a dependency that never became healthy")
	}
	in := p.Inspect("flaky")
	if in.RestartCount != 2 {
		t.Errorf("up gave up after %d restarts of flaky, want its 2 retries", in.RestartCount)
	}
	for _, w := range []string{`"flaky"`, "code 3", "cannot reach store"} {
		if !strings.Contains(r.Stderr, w) {
			t.Errorf("error does not mention %q:\n%s", w, r.Stderr)
		}
	}
}

// Resources without the project's label are never touched, even when their names look like ours.
func TestForeignContainersAreNeverTouched(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  api: {image: "${FIXTURE}", command: ["sleep"]}
`)
	ctx := context.Background()
	mk := func(name string, lbls map[string]string) string {
		resp, err := p.Eng.ContainerCreate(ctx, &container.Config{Image: p.Fixture, Cmd: []string{"sleep"}, Labels: lbls}, nil, nil, nil, name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Eng.ContainerRemove(ctx, resp.ID, container.RemoveOptions{Force: true}) })
		if err := p.Eng.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
			t.Fatal(err)
		}
		return resp.ID
	}
	unlabelled := mk(p.Name+"-api-7", nil)
	otherProject := mk(p.Name+"-other-1", map[string]string{labels.Project: p.Name + "x", labels.Service: "api", labels.OneOff: "False"})
	p.MustRun("up", "-d")
	p.MustRun("ps")
	p.MustRun("down", "--remove-orphans", "-v")
	for _, id := range []string{unlabelled, otherProject} {
		in, err := p.Eng.ContainerInspect(ctx, id)
		if err != nil {
			t.Fatalf("foreign container %s was removed: %v", id[:12], err)
		}
		if !in.State.Running {
			t.Errorf("foreign container %s was stopped", in.Name)
		}
	}
}
