package e2e

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/runs"
	"github.com/mlstack/mlstack/internal/testenv"
)

const downJobsCompose = `
services:
  web:
    image: ${FIXTURE}
    command: ["sleep"]
  long:
    image: ${FIXTURE}
    command: ["print", "--lines", "100000", "--interval", "100ms"]
  slow:
    image: ${FIXTURE}
    command: ["exit", "--code", "0", "--after", "2s", "--message", "started"]
  job:
    image: ${FIXTURE}
    command: ["exit"]
`

// down leaves a train running in another terminal and a `run --rm=false` container, with the
// network they use, and says so; it removes what a killed train left once its job ended;
// `down --remove-orphans` then removes everything, stopping the running job.
func TestDownLeavesJobsOfOtherTerminals(t *testing.T) {
	p := testenv.NewProject(t, downJobsCompose)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	p.MustRun("up", "-d", "web")
	p.MustRun("run", "--rm=false", "job")
	kept := ""
	for _, c := range p.Containers() {
		if n := strings.TrimPrefix(c.Names[0], "/"); strings.Contains(n, "-job-run-") {
			kept = n
		}
	}
	if kept == "" {
		t.Fatal("run --rm=false kept no container")
	}

	// train starts `mlstack train SERVICE` and returns it once its job printed a line and its record
	// says running, with the job's container name.
	store := runs.Store{Dir: filepath.Join(p.Dir, ".mlstack", "runs")}
	train := func(svc string) (*exec.Cmd, string) {
		cmd := p.Command(ctx, nil, "train", svc)
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		out := bufio.NewReader(stdout)
		if _, err := out.ReadString('\n'); err != nil {
			t.Fatalf("train %s printed nothing: %v", svc, err)
		}
		go io.Copy(io.Discard, out)
		for ctx.Err() == nil {
			recs, _ := store.Unfinished()
			for _, r := range recs {
				if r.Service == svc {
					return cmd, r.ContainerName
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("no running record of train %s: %v", svc, context.Cause(ctx))
		return nil, ""
	}

	// A train killed while its job runs leaves a record that says running; then the job ends.
	killed, ended := train("slow")
	if err := killed.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = killed.Wait()
	waitC, errC := p.Eng.ContainerWait(ctx, ended, container.WaitConditionNotRunning)
	select {
	case <-waitC:
	case err := <-errC:
		t.Fatalf("wait for the killed train's job %s to exit: %v", ended, err)
	}

	// A train running in another terminal.
	bg, running := train("long")
	bgDone := make(chan error, 1)
	go func() { bgDone <- bg.Wait() }()
	t.Cleanup(func() { _ = bg.Process.Kill() })

	r := p.MustRun("down", "-t", "1")
	for _, want := range []string{running + " (running)", kept + " (kept)", "down --remove-orphans", "left network " + p.Name + "_default in place"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("down's output lacks %q:\n%s", want, r.Stderr)
		}
	}
	var left []string
	for _, c := range p.Containers() {
		left = append(left, strings.TrimPrefix(c.Names[0], "/")+" "+c.State)
	}
	if want := []string{kept + " exited", running + " running"}; !slices.Equal(slices.Sorted(slices.Values(left)), slices.Sorted(slices.Values(want))) {
		t.Errorf("containers after down: %v; want %v (the killed train's %s removed, web removed)", left, want, ended)
	}
	select {
	case err := <-bgDone:
		t.Errorf("down ended the train of another terminal: %v", err)
	default:
	}
	if _, nets, _ := testenv.Counts(t, p.Eng, p.Name); nets != 1 {
		t.Errorf("down left %d networks, want the default one the running job uses", nets)
	}

	p.MustRun("down", "--remove-orphans", "-t", "1")
	if c, nets, _ := testenv.Counts(t, p.Eng, p.Name); c != 0 || nets != 0 {
		t.Errorf("after down --remove-orphans: %d containers, %d networks", c, nets)
	}
	select {
	case <-bgDone:
	case <-ctx.Done():
		t.Errorf("train of the job down --remove-orphans stopped still runs: %v", context.Cause(ctx))
	}
}
