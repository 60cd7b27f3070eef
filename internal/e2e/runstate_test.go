package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/runs"
	"github.com/mlstack/mlstack/internal/testenv"
)

const pipeCompose = `
services:
  job:
    image: ${FIXTURE}
    command: ["print", "--lines", "300", "--interval", "5ms"]
  slow:
    image: ${FIXTURE}
    command: ["exit", "--code", "3", "--after", "3s", "--message", "started"]
`

func runsJSON(t *testing.T, p *testenv.Project) []runs.Record {
	t.Helper()
	var recs []runs.Record
	if err := json.Unmarshal([]byte(p.MustRun("runs", "--format", "json").Stdout), &recs); err != nil {
		t.Fatal(err)
	}
	return recs
}

// `mlstack train | head -2` must not kill the run: the job goes on, its record completes, its log
// has every line and no container is left.
func TestTrainIntoAClosedPipe(t *testing.T) {
	p := testenv.NewProject(t, pipeCompose)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sh := exec.CommandContext(ctx, "sh", "-c", `"$0" -p "$1" train job | head -2; echo "mlstack exit ${PIPESTATUS:-?}" >&2`, p.Bin, p.Name)
	sh.Dir = p.Dir
	sh.Env = append(os.Environ(), "NO_COLOR=1")
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("train | head -2: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "line 1\nline 2\n") && !strings.Contains(string(out), "line 1\nline 2\n") {
		t.Errorf("head did not get the job's first lines:\n%s", out)
	}
	recs := runsJSON(t, p)
	if len(recs) != 1 {
		t.Fatalf("%d runs recorded, want 1", len(recs))
	}
	r := recs[0]
	if !r.Finished() || r.ExitCode != 0 {
		t.Errorf("run record after train | head: finished %v, exit %d; want finished with exit 0", r.Finished(), r.ExitCode)
	}
	log, err := os.ReadFile(filepath.Join(p.Dir, r.LogFile))
	if err != nil || !strings.Contains(string(log), "line 300\n") {
		t.Errorf("the run's log lacks the job's last line (err %v):\n%.300s", err, log)
	}
	if n := oneOffs(t, p); n != 0 {
		t.Errorf("%d one-off container(s) left after train | head", n)
	}
}

// A killed mlstack leaves a record that says running: `runs` settles it from the engine (exit code
// and end, or lost), and the next train removes the container it left, never a kept one.
func TestKilledTrainIsReconciled(t *testing.T) {
	p := testenv.NewProject(t, pipeCompose)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// A one-off kept on purpose must survive the cleanup.
	p.MustRun("run", "--rm=false", "job")

	killed := func() string {
		cmd := p.Command(ctx, nil, "train", "slow")
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The job's first line means it started; its record follows.
		if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		for ctx.Err() == nil {
			recs, _ := (runs.Store{Dir: filepath.Join(p.Dir, ".mlstack", "runs")}).Unfinished()
			if len(recs) > 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		for _, r := range runsJSON(t, p) {
			if r.Running() {
				return r.ContainerName
			}
		}
		t.Fatal("no running record after killing mlstack train")
		return ""
	}

	// The container exits on its own: the record gets its exit code.
	name := killed()
	waitC, errC := p.Eng.ContainerWait(ctx, name, container.WaitConditionNotRunning)
	select {
	case <-waitC:
	case err := <-errC:
		t.Fatal(err)
	}
	recs := runsJSON(t, p)
	if r := recs[0]; !r.Finished() || r.ExitCode != 3 || r.FinishedAt.Before(r.StartedAt) {
		t.Errorf("killed run after its container exited: finished %v exit %d; want finished with exit 3", r.Finished(), r.ExitCode)
	}
	if !strings.Contains(p.MustRun("runs").Stdout, " 3 ") {
		t.Errorf("runs does not show exit 3 for the killed run:\n%s", p.MustRun("runs").Stdout)
	}

	// The next train removes the first killed run's exited container, and keeps the kept one.
	r := p.MustRun("train", "job")
	if !strings.Contains(r.Stderr, name) {
		t.Errorf("train did not say it removed %s:\n%s", name, r.Stderr)
	}
	var left []string
	for _, c := range p.Containers() {
		left = append(left, c.Names[0])
	}
	if n := oneOffs(t, p); n != 1 || strings.Contains(strings.Join(left, ","), name) {
		t.Errorf("one-off containers after the next train: %v; want only the kept one", left)
	}

	// The container vanishes: the run is lost.
	name2 := killed()
	if err := p.Eng.ContainerRemove(ctx, name2, container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if r := runsJSON(t, p)[0]; !r.Lost || r.ContainerName != name2 {
		t.Errorf("run whose container was removed by hand: %+v, want lost", r)
	}
	if !strings.Contains(p.MustRun("runs").Stdout, "lost") {
		t.Errorf("runs does not say lost:\n%s", p.MustRun("runs").Stdout)
	}
}

// Secrets are masked in records (names, URLs, flags), and a replay restores them from the
// environment or refuses: a job never gets "***".
func TestSecretsMaskedAndReplayed(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  job:
    image: ${FIXTURE}
    command: ["env"]
  flags:
    image: ${FIXTURE}
    command: ["exit", "--message", "--token=abc"]
`)
	r := p.MustRun("train", "-e", "OPENAI_APIKEY=k1", "-e", "DB_URL=postgres://ml:pw1@db/ml", "-e", "TOKENIZERS_PARALLELISM=false", "job")
	if !strings.Contains(r.Stdout, "OPENAI_APIKEY=k1") {
		t.Fatalf("the job did not get its environment:\n%s", r.Stdout)
	}
	rec := runsJSON(t, p)[0]
	for k, want := range map[string]string{"OPENAI_APIKEY": "***", "DB_URL": "postgres://ml:***@db/ml", "TOKENIZERS_PARALLELISM": "false"} {
		if rec.Env[k] != want {
			t.Errorf("recorded %s = %q, want %q", k, rec.Env[k], want)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(p.Dir, ".mlstack", "runs", rec.ID+".json"))
	if strings.Contains(string(raw), "k1") || strings.Contains(string(raw), "pw1") {
		t.Errorf("a secret is in the record file:\n%s", raw)
	}

	miss := p.Run("train", "--replay", rec.ID)
	if miss.Code == 0 || !strings.Contains(miss.Stderr, "DB_URL, OPENAI_APIKEY") || strings.Contains(miss.Stdout, "***") {
		t.Errorf("replay with the secrets unset: exit %d\nstdout:\n%s\nstderr:\n%s\nwant a refusal naming DB_URL and OPENAI_APIKEY", miss.Code, miss.Stdout, miss.Stderr)
	}
	ok := p.RunEnv([]string{"OPENAI_APIKEY=k2", "DB_URL=postgres://ml:pw2@db/ml"}, "train", "--replay", rec.ID)
	if ok.Code != 0 || !strings.Contains(ok.Stdout, "OPENAI_APIKEY=k2") || !strings.Contains(ok.Stdout, "DB_URL=postgres://ml:pw2@db/ml") || strings.Contains(ok.Stdout, "***") {
		t.Errorf("replay with the secrets set: exit %d\nstdout:\n%s\nstderr:\n%s", ok.Code, ok.Stdout, ok.Stderr)
	}

	p.MustRun("train", "flags")
	rec = runsJSON(t, p)[0]
	if strings.Join(rec.Command, " ") != "exit --message --token=***" {
		t.Errorf("recorded command = %q, want the token masked", strings.Join(rec.Command, " "))
	}
	if r := p.Run("train", "--replay", rec.ID); r.Code == 0 || !strings.Contains(r.Stderr, "--token") {
		t.Errorf("replay of a command with a masked flag: exit %d, stderr:\n%s\nwant a refusal naming --token", r.Code, r.Stderr)
	}
}
