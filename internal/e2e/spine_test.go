package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/testenv"
)

// mlStack is the ML-shaped stack of the spine issue: a one-shot migration, a tracking server that is
// healthy after a delay, an inference server that needs both it and a parallel feature store.
const mlStack = `
services:
  migrate:
    image: ${FIXTURE}
    command: ["exit", "--after", "300ms", "--message", "migrated"]
  tracking:
    image: ${FIXTURE}
    command: ["serve", "--healthy-after", "1s"]
    depends_on:
      migrate: {condition: service_completed_successfully}
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms, timeout: 2s, retries: 60}
  feature-store:
    image: ${FIXTURE}
    command: ["serve", "--healthy-after", "1s"]
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms, timeout: 2s, retries: 60}
  inference:
    image: ${FIXTURE}
    command: ["serve"]
    environment: {MODEL: v1}
    ports: ["127.0.0.1::8080"]
    depends_on:
      tracking: {condition: service_healthy}
      feature-store: {condition: service_healthy}
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms, timeout: 2s, retries: 60}
  worker:
    image: ${FIXTURE}
    command: ["sleep"]
    depends_on:
      inference: {condition: service_started, restart: true}
`

func started(t *testing.T, in container.InspectResponse) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, in.State.StartedAt)
	if err != nil {
		t.Fatalf("parse StartedAt of %s: %v", in.Name, err)
	}
	return ts
}

func finished(t *testing.T, in container.InspectResponse) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, in.State.FinishedAt)
	if err != nil {
		t.Fatalf("parse FinishedAt of %s: %v", in.Name, err)
	}
	return ts
}

func ids(p *testenv.Project) map[string]string {
	out := map[string]string{}
	for _, c := range p.Containers() {
		out[c.Labels[labels.Service]] = c.ID
	}
	return out
}

func TestUpStartsInHealthOrderWithParallelBranches(t *testing.T) {
	p := testenv.NewProject(t, mlStack)
	p.MustRun("up", "-d", "--wait")

	migrate, tracking, fs, inference := p.Inspect("migrate"), p.Inspect("tracking"), p.Inspect("feature-store"), p.Inspect("inference")
	if migrate.State.ExitCode != 0 || migrate.State.Running {
		t.Fatalf("migrate should have completed with 0, state %+v", migrate.State)
	}
	if !finished(t, migrate).Before(started(t, tracking)) {
		t.Errorf("tracking started at %s before migrate finished at %s", tracking.State.StartedAt, migrate.State.FinishedAt)
	}
	// The tracking server answers healthy 1 s after it starts; inference must not start before that.
	if d := started(t, inference).Sub(started(t, tracking)); d < time.Second {
		t.Errorf("inference started %s after tracking, before tracking could be healthy (1s)", d)
	}
	if d := started(t, inference).Sub(started(t, fs)); d < time.Second {
		t.Errorf("inference started %s after the feature store, before it could be healthy", d)
	}
	// Independent roots start together, not one after the other.
	if d := started(t, fs).Sub(started(t, migrate)).Abs(); d > 700*time.Millisecond {
		t.Errorf("feature-store and migrate are independent but started %s apart", d)
	}
	for _, svc := range []string{"tracking", "feature-store", "inference"} {
		if h := p.Inspect(svc).State.Health.Status; h != "healthy" {
			t.Errorf("after up --wait, %s health is %q by the engine, want healthy", svc, h)
		}
	}
	if w := p.Inspect("worker"); !w.State.Running {
		t.Errorf("worker not running")
	}
}

func TestSecondUpRecreatesNothingAndChangesRecreateOnlyWhatChanged(t *testing.T) {
	p := testenv.NewProject(t, mlStack)
	p.MustRun("up", "-d", "--wait")
	before := ids(p)

	r := p.MustRun("up", "-d", "--wait")
	if after := ids(p); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("a second up with nothing changed recreated containers:\nbefore %v\nafter  %v\n%s", before, after, r.Stderr)
	}
	if strings.Contains(r.Stderr, "Created") || strings.Contains(r.Stderr, "Recreate") {
		t.Errorf("no-op up reported creating something:\n%s", r.Stderr)
	}
	if in := p.Inspect("migrate"); in.RestartCount != 0 || started(t, in).After(started(t, p.Inspect("tracking"))) {
		t.Errorf("no-op up re-ran the completed migration")
	}

	// Change inference: it is recreated, and worker too (restart: true on it); nothing else.
	p.Write("compose.yaml", strings.Replace(mlStack, "MODEL: v1", "MODEL: v2", 1))
	p.MustRun("up", "-d", "--wait")
	after := ids(p)
	for svc, id := range before {
		changed := after[svc] != id
		want := svc == "inference" || svc == "worker"
		if changed != want {
			t.Errorf("service %s recreated=%v, want %v", svc, changed, want)
		}
	}
	if env := p.Inspect("inference").Config.Env; !contains(env, "MODEL=v2") {
		t.Errorf("recreated inference env = %v", env)
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestContainersCarryComposeLabelsAndNames(t *testing.T) {
	p := testenv.NewProject(t, mlStack)
	p.MustRun("up", "-d", "--wait")
	in := p.Inspect("inference")
	if in.Name != "/"+p.Name+"-inference-1" {
		t.Errorf("container name = %s, want %s-inference-1", in.Name, p.Name)
	}
	want := map[string]string{
		labels.Project: p.Name, labels.Service: "inference", labels.ContainerNumber: "1", labels.OneOff: "False",
		labels.WorkingDir: p.Dir,
	}
	for k, v := range want {
		if got := in.Config.Labels[k]; got != v {
			t.Errorf("label %s = %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{labels.ConfigHash, labels.ConfigFiles, labels.Version, labels.Image, labels.DependsOn} {
		if in.Config.Labels[k] == "" {
			t.Errorf("label %s missing", k)
		}
	}
	if !strings.HasPrefix(in.Config.Labels[labels.Image], "sha256:") {
		t.Errorf("image label = %q, want an image ID", in.Config.Labels[labels.Image])
	}
	if _, ok := in.NetworkSettings.Networks[p.Name+"_default"]; !ok {
		t.Errorf("inference not on %s_default: %v", p.Name, in.NetworkSettings.Networks)
	}
	if !contains(in.Config.Env, "PYTHONUNBUFFERED=1") {
		t.Errorf("PYTHONUNBUFFERED=1 not set: %v", in.Config.Env)
	}
	// docker-compose sees mlstack's project as its own.
	if _, err := exec.LookPath("docker-compose"); err == nil {
		// docker-compose 1.29 rejects depends_on's restart: key; give it the same services without it.
		p.Write("compose-v1.yaml", strings.ReplaceAll(mlStack, ", restart: true", ""))
		out, err := exec.Command("docker-compose", "-p", p.Name, "-f", p.Dir+"/compose-v1.yaml", "ps", "-q").Output()
		if err != nil {
			t.Fatalf("docker-compose ps: %v", err)
		}
		if n := len(strings.Fields(string(out))); n != 5 {
			t.Errorf("docker-compose ps -q lists %d containers of mlstack's project, want 5:\n%s", n, out)
		}
	}
}

func TestPsJSON(t *testing.T) {
	p := testenv.NewProject(t, mlStack)
	p.MustRun("up", "-d", "--wait")
	r := p.MustRun("ps", "-a", "--format", "json")
	type row struct {
		Name, Service, State, Health string
		ExitCode                     int
		Publishers                   []struct {
			URL           string
			TargetPort    int
			PublishedPort int
		}
	}
	rows := map[string]row{}
	sc := bufio.NewScanner(strings.NewReader(r.Stdout))
	for sc.Scan() {
		var x row
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatalf("ps --format json line is not JSON: %q: %v", sc.Text(), err)
		}
		rows[x.Service] = x
	}
	if len(rows) != 5 {
		t.Fatalf("ps -a lists %d services, want 5:\n%s", len(rows), r.Stdout)
	}
	if x := rows["inference"]; x.State != "running" || x.Health != "healthy" || x.Name != p.Name+"-inference-1" {
		t.Errorf("inference row = %+v", x)
	}
	if x := rows["inference"]; len(x.Publishers) != 1 || x.Publishers[0].URL != "127.0.0.1" || x.Publishers[0].TargetPort != 8080 || x.Publishers[0].PublishedPort == 0 {
		t.Errorf("inference publishers = %+v", x.Publishers)
	}
	if x := rows["migrate"]; x.State != "exited" || x.ExitCode != 0 {
		t.Errorf("migrate row = %+v", x)
	}
	// Without -a, the completed job is not listed.
	if r := p.MustRun("ps", "--format", "json"); strings.Contains(r.Stdout, `"migrate"`) {
		t.Errorf("ps without -a lists the exited migrate")
	}
}

func TestDownLeavesNothing(t *testing.T) {
	p := testenv.NewProject(t, mlStack+`
volumes:
  data: {}
`)
	p.Write("compose.yaml", strings.Replace(mlStack, `command: ["sleep"]`, `command: ["sleep"]
    volumes: ["data:/data"]`, 1)+"volumes:\n  data: {}\n")
	p.MustRun("up", "-d", "--wait")
	p.MustRun("down")
	c, n, v := testenv.Counts(t, p.Eng, p.Name)
	if c != 0 || n != 0 {
		t.Fatalf("after down: %d containers, %d networks left", c, n)
	}
	if v != 1 {
		t.Fatalf("down without -v must keep the named volume; %d left", v)
	}
	p.MustRun("down", "-v")
	if _, _, v := testenv.Counts(t, p.Eng, p.Name); v != 0 {
		t.Fatalf("down -v left %d volumes", v)
	}
}

func TestBadProjectsAreRefusedBeforeAnythingIsCreated(t *testing.T) {
	tests := []struct {
		name    string
		compose string
		args    []string
		want    []string
	}{
		{"three-service cycle", `
services:
  a: {image: ${FIXTURE}, depends_on: [b]}
  b: {image: ${FIXTURE}, depends_on: [c]}
  c: {image: ${FIXTURE}, depends_on: [a]}
`, nil, []string{"cycle", "a", "b", "c"}},
		{"healthy dependency without healthcheck", `
services:
  app: {image: ${FIXTURE}, depends_on: {db: {condition: service_healthy}}}
  db: {image: ${FIXTURE}}
`, nil, []string{`"db" has no healthcheck`, `service "app"`}},
		{"unknown service on the command line", `
services:
  app: {image: ${FIXTURE}}
`, []string{"nope"}, []string{`no such service "nope"`, "app"}},
		{"image that cannot be pulled", `
services:
  app: {image: ${FIXTURE}}
  model: {image: example.invalid/model:1}
`, nil, []string{"example.invalid/model:1", `service "model"`, "not available locally"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testenv.NewProject(t, tt.compose)
			r := p.Run(append([]string{"up", "-d"}, tt.args...)...)
			if r.Code == 0 {
				t.Fatalf("up succeeded on a bad project:\n%s", r.Stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("error does not mention %q:\n%s", w, r.Stderr)
				}
			}
			if c, n, v := testenv.Counts(t, p.Eng, p.Name); c+n+v != 0 {
				t.Errorf("a refused up left %d containers, %d networks, %d volumes", c, n, v)
			}
		})
	}
}

func TestWaitFailsFastOnUnhealthyDependency(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  db:
    image: ${FIXTURE}
    command: ["serve", "--unhealthy"]
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms, timeout: 2s, retries: 2}
  app:
    image: ${FIXTURE}
    depends_on: {db: {condition: service_healthy}}
`)
	r := p.Run("up", "-d", "--wait", "--wait-timeout", "120")
	if r.Code == 0 {
		t.Fatal("up --wait succeeded with an unhealthy dependency")
	}
	if r.Took > 30*time.Second {
		t.Errorf("up --wait sat out %s instead of failing when db turned unhealthy", r.Took)
	}
	for _, w := range []string{`"db"`, "unhealthy", "last health check"} {
		if !strings.Contains(r.Stderr, w) {
			t.Errorf("error does not mention %q:\n%s", w, r.Stderr)
		}
	}
	for _, c := range p.Containers() {
		if c.Labels[labels.Service] == "app" {
			t.Errorf("app was created although its dependency never became healthy")
		}
	}
}

func TestWaitFailsOnCrashedServiceAndCountsOneShotAsDone(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  job: {image: "${FIXTURE}", command: ["exit", "--code", "0"]}
  crash:
    image: ${FIXTURE}
    command: ["exit", "--after", "200ms", "--code", "4", "--message", "boom: bad config"]
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms, retries: 3}
`)
	r := p.Run("up", "-d", "--wait", "job")
	if r.Code != 0 {
		t.Fatalf("a one-shot that exited 0 must count as done for --wait:\n%s", r.Stderr)
	}
	r = p.Run("up", "-d", "--wait")
	if r.Code == 0 {
		t.Fatal("up --wait succeeded although crash exited 4")
	}
	for _, w := range []string{`"crash"`, "code 4", "boom: bad config"} {
		if !strings.Contains(r.Stderr, w) {
			t.Errorf("error does not mention %q:\n%s", w, r.Stderr)
		}
	}
}

func TestPublishedPortAlreadyTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	p := testenv.NewProject(t, fmt.Sprintf(`
services:
  api:
    image: ${FIXTURE}
    ports: ["127.0.0.1:%d:8080"]
`, port))
	r := p.Run("up", "-d")
	if r.Code == 0 {
		t.Fatal("up succeeded with its port taken")
	}
	for _, w := range []string{fmt.Sprint(port), `"api"`, "already in use"} {
		if !strings.Contains(r.Stderr, w) {
			t.Errorf("error does not mention %q:\n%s", w, r.Stderr)
		}
	}
	if c, n, _ := testenv.Counts(t, p.Eng, p.Name); c+n != 0 {
		t.Errorf("a refused up left %d containers and %d networks", c, n)
	}
}

func TestMissingDaemonIsOneClearLineFast(t *testing.T) {
	p := testenv.NewProject(t, "services:\n  app: {image: ${FIXTURE}}\n")
	r := p.RunEnv([]string{"DOCKER_HOST=unix:///nonexistent/docker.sock"}, "ps")
	if r.Code == 0 {
		t.Fatal("ps succeeded without a daemon")
	}
	if !strings.Contains(r.Stderr, "/nonexistent/docker.sock") || !strings.Contains(r.Stderr, "DOCKER_HOST") {
		t.Errorf("error does not name the socket and where it came from:\n%s", r.Stderr)
	}
	if lines := strings.Count(strings.TrimSpace(r.Stderr), "\n"); lines != 0 {
		t.Errorf("want one line, got:\n%s", r.Stderr)
	}
	if r.Took > 2*time.Second {
		t.Errorf("took %s to report a missing daemon", r.Took)
	}
}

func TestAttachedUpStreamsAndCtrlCStops(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  api:
    image: ${FIXTURE}
    command: ["serve"]
  ticker:
    image: ${FIXTURE}
    command: ["print", "--progress", "30", "--interval", "100ms", "--lines", "1"]
`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := p.Command(ctx, nil, "up")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A progress redraw (\r) must arrive while the bar is still running, not at the final newline.
	buf := make([]byte, 4096)
	var seen strings.Builder
	sawListening, sawProgress := false, false
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && !(sawListening && sawProgress) {
		n, err := stdout.Read(buf)
		seen.Write(buf[:n])
		s := seen.String()
		sawListening = strings.Contains(s, "listening on")
		sawProgress = strings.Contains(s, "\r") && strings.Contains(s, "progress") && !strings.Contains(s, "line 1")
		if err != nil {
			break
		}
	}
	if !sawListening || !sawProgress {
		t.Fatalf("attached up did not stream prefixed output with live progress:\n%q", seen.String())
	}
	if !strings.Contains(seen.String(), p.Name+"-api-1") {
		t.Errorf("lines not prefixed with the container name:\n%q", seen.String())
	}
	cmd.Process.Signal(syscall.SIGINT)
	go func() {
		for {
			if _, err := stdout.Read(buf); err != nil {
				return
			}
		}
	}()
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("Ctrl-C on attached up: %v, want exit 130", err)
	}
	if api := p.Inspect("api"); api.State.Running {
		t.Errorf("api still running after Ctrl-C")
	}
}

func TestConcurrentUpsCreateNoDuplicates(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  a: {image: "${FIXTURE}", command: ["sleep"]}
  b: {image: "${FIXTURE}", command: ["sleep"]}
`)
	var wg sync.WaitGroup
	results := make([]testenv.Result, 2)
	for i := range results {
		wg.Add(1)
		go func(i int) { defer wg.Done(); results[i] = p.Run("up", "-d") }(i)
	}
	wg.Wait()
	for _, r := range results {
		if r.Code != 0 {
			t.Fatalf("concurrent up failed:\n%s", r.Stderr)
		}
	}
	var names []string
	for _, c := range p.Containers() {
		names = append(names, c.Names[0])
	}
	sort.Strings(names)
	if len(names) != 2 {
		t.Fatalf("two concurrent ups made %v", names)
	}
}

func TestLogsFollowShowsHistoryAndLiveProgress(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  job:
    image: ${FIXTURE}
    command: ["print", "--lines", "3", "--progress", "40", "--interval", "100ms"]
`)
	p.MustRun("up", "-d")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := p.Command(ctx, nil, "logs", "-f")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	buf := make([]byte, 4096)
	live := false
	for {
		n, err := stdout.Read(buf)
		seen.Write(buf[:n])
		if !strings.Contains(seen.String(), "line 1") && strings.Count(seen.String(), "\r") >= 3 {
			live = true
		}
		if err != nil {
			break
		}
	}
	cmd.Wait()
	s := seen.String()
	if !live {
		t.Errorf("logs -f did not show progress redraws before the job's lines:\n%q", s)
	}
	if !strings.Contains(s, "line 3") || !strings.Contains(s, p.Name+"-job-1") {
		t.Errorf("logs -f output incomplete:\n%q", s)
	}
}
