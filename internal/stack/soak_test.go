package stack_test

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/testenv"
	"github.com/mlstack/mlstack/internal/ui"
)

// TestSoakUpTrainDown runs 20 cycles of up, a training job and down in one process on the fixture
// stack, and counts what is left: no container, network, volume or goroutine.
func TestSoakUpTrainDown(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  store:
    image: ${FIXTURE}
    command: ["serve"]
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms, retries: 60}
    volumes: ["cache:/cache"]
  migrate:
    image: ${FIXTURE}
    command: ["exit"]
  training:
    image: ${FIXTURE}
    command: ["train", "--epochs", "1", "--interval", "10ms"]
    profiles: [training]
    depends_on:
      store: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
volumes:
  cache: {}
`)
	ctx := context.Background()
	proj, err := project.Load(ctx, project.Options{Name: p.Name, WorkingDir: p.Dir, Files: []string{filepath.Join(p.Dir, "compose.yaml")}, Profiles: []string{"training"}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s := &stack.Stack{Eng: p.Eng, Project: proj, UI: ui.Test(nil, &out, &out)}
	settle := func() int {
		// Goroutines of closed streams end asynchronously; give them a moment before counting.
		n := runtime.NumGoroutine()
		for i := 0; i < 50; i++ {
			time.Sleep(20 * time.Millisecond)
			if m := runtime.NumGoroutine(); m == n {
				return m
			} else {
				n = m
			}
		}
		return n
	}
	base := settle()
	const cycles = 20
	for i := 0; i < cycles; i++ {
		out.Reset()
		if err := s.Up(ctx, stack.UpOptions{Services: []string{"store", "migrate"}, Detach: true, Wait: true}); err != nil {
			t.Fatalf("cycle %d: up: %v\n%s", i, err, out.String())
		}
		code, err := s.RunOneOff(ctx, stack.OneOffOptions{Service: "training", Env: []string{"TRAIN_EXIT=0"}})
		if err != nil || code != 0 {
			t.Fatalf("cycle %d: training exit %d, %v\n%s", i, code, err, out.String())
		}
		if !strings.Contains(out.String(), "epoch 1/1") {
			t.Fatalf("cycle %d: training output missing:\n%s", i, out.String())
		}
		if err := s.Down(ctx, stack.DownOptions{Volumes: true}); err != nil {
			t.Fatalf("cycle %d: down: %v", i, err)
		}
		if c, n, v := testenv.Counts(t, p.Eng, p.Name); c+n+v != 0 {
			t.Fatalf("cycle %d left %d containers, %d networks, %d volumes", i, c, n, v)
		}
	}
	// One subscription or attach leaked per cycle would show as ≥20 extra goroutines.
	if leaked := settle() - base; leaked > 5 {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("%d goroutines more after %d cycles than before:\n%s", leaked, cycles, buf[:n])
	}
}
