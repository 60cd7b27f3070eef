package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/testenv"
)

const parityStack = `services:
  db:
    image: ${FIXTURE}
    command: ["serve"]
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms}
  web:
    image: ${FIXTURE}
    command: ["serve"]
    ports: ["127.0.0.1::8080"]
    depends_on: {db: {condition: service_healthy}}
  worker:
    image: ${FIXTURE}
    command: ["sleep"]
`

// states maps each service container's name to its state ("running", "exited", ...).
func states(p *testenv.Project) map[string]string {
	out := map[string]string{}
	for _, c := range p.Containers() {
		out[strings.TrimPrefix(c.Names[0], "/")] = c.State
	}
	return out
}

func wantStates(t *testing.T, p *testenv.Project, want map[string]string) {
	t.Helper()
	got := states(p)
	for svc, st := range want {
		name := p.Name + "-" + svc + "-1"
		if got[name] != st {
			t.Errorf("%s is %q, want %q (all: %v)", name, got[name], st, got)
		}
	}
}

func wantCode(t *testing.T, r testenv.Result, code int, what string) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, r.Code, code, r.Stdout, r.Stderr)
	}
}

// foreign starts a container beside the project that shares its image and looks like compose's
// (another project's labels), so label filtering is what keeps it safe.
func foreign(t *testing.T, p *testenv.Project) string {
	t.Helper()
	ctx := context.Background()
	resp, err := p.Eng.ContainerCreate(ctx, &container.Config{Image: p.Fixture, Cmd: []string{"sleep"}, Labels: map[string]string{
		labels.Project: p.Name + "-other", labels.Service: "worker", labels.OneOff: "False", labels.ContainerNumber: "1",
	}}, nil, nil, nil, p.Name+"-other-worker-1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Eng.ContainerRemove(context.Background(), resp.ID, container.RemoveOptions{Force: true}) })
	if err := p.Eng.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	return resp.ID
}

func foreignRunning(t *testing.T, p *testenv.Project, id, after string) {
	t.Helper()
	in, err := p.Eng.ContainerInspect(context.Background(), id)
	if err != nil {
		t.Fatalf("after %s the foreign container is gone: %v", after, err)
	}
	if !in.State.Running {
		t.Fatalf("after %s the foreign container is %s", after, in.State.Status)
	}
}

// TestParityCommands drives exec, port, ls, top, images, stop, start, restart, kill and rm on one
// project and checks exit codes and container states, with another project's container beside it.
func TestParityCommands(t *testing.T) {
	p := testenv.NewProject(t, parityStack)
	other := foreign(t, p)
	p.MustRun("up", "-d", "--wait")

	t.Run("exec", func(t *testing.T) {
		wantCode(t, p.Run("exec", "web", "/fixture", "exit", "--code", "3"), 3, "exec exit --code 3")
		r := p.MustRun("exec", "-T", "-e", "FOO=bar", "web", "/fixture", "env")
		if !strings.Contains(r.Stdout, "FOO=bar") {
			t.Errorf("exec -e FOO=bar: env printed\n%s", r.Stdout)
		}
		wantCode(t, p.Run("exec", "nosuch", "/fixture", "env"), 1, "exec on an unknown service")
		wantCode(t, p.Run("exec", "--index", "2", "web", "/fixture", "env"), 1, "exec --index 2 of an unscaled service")
		// Piped stdin reaches the command.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := p.Command(ctx, nil, "exec", "-T", "worker", "/fixture", "cat", "/dev/stdin")
		cmd.Stdin = strings.NewReader("piped input\n")
		out, err := cmd.Output()
		if err != nil || string(out) != "piped input\n" {
			t.Errorf("exec with piped stdin: %q, %v", out, err)
		}
	})

	t.Run("port", func(t *testing.T) {
		r := p.MustRun("port", "web", "8080")
		addr := strings.TrimSpace(r.Stdout)
		if !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(addr) {
			t.Fatalf("port web 8080 printed %q, want 127.0.0.1:PORT", addr)
		}
		resp, err := http.Get("http://" + addr + "/health")
		if err != nil {
			t.Fatalf("GET the printed address: %v", err)
		}
		resp.Body.Close()
		wantCode(t, p.Run("port", "web", "9999"), 1, "port of an unpublished port")
	})

	t.Run("ls", func(t *testing.T) {
		r := p.MustRun("ls")
		if !regexp.MustCompile(regexp.QuoteMeta(p.Name) + `\s+running\(3\)\s+\S*compose.yaml`).MatchString(r.Stdout) {
			t.Errorf("ls does not show %s as running(3) with its compose file:\n%s", p.Name, r.Stdout)
		}
		var views []struct{ Name, Status, ConfigFiles string }
		if err := json.Unmarshal([]byte(p.MustRun("ls", "--format", "json", "--filter", "name="+p.Name).Stdout), &views); err != nil {
			t.Fatal(err)
		}
		if len(views) != 1 || views[0].Name != p.Name || views[0].Status != "running(3)" {
			t.Errorf("ls --format json --filter name=%s = %+v", p.Name, views)
		}
	})

	t.Run("top and images", func(t *testing.T) {
		if r := p.MustRun("top", "db"); !strings.Contains(r.Stdout, p.Name+"-db-1") || !strings.Contains(r.Stdout, "/fixture serve") {
			t.Errorf("top db:\n%s", r.Stdout)
		}
		if r := p.MustRun("images"); strings.Count(r.Stdout, testenv.FixtureRepo) != 3 {
			t.Errorf("images should list the fixture image for 3 containers:\n%s", r.Stdout)
		}
	})

	t.Run("stop and start", func(t *testing.T) {
		p.MustRun("stop", "worker")
		wantStates(t, p, map[string]string{"worker": "exited", "web": "running", "db": "running"})
		p.MustRun("stop", "-t", "2")
		wantStates(t, p, map[string]string{"worker": "exited", "web": "exited", "db": "exited"})
		foreignRunning(t, p, other, "stop")
		p.MustRun("start", "--wait")
		wantStates(t, p, map[string]string{"worker": "running", "web": "running", "db": "running"})
		// Health order: web started only after db was healthy.
		db, web := p.Inspect("db"), p.Inspect("web")
		if db.State.Health == nil || db.State.Health.Status != "healthy" {
			t.Errorf("db after start --wait: %+v", db.State.Health)
		}
		if web.State.StartedAt < db.State.StartedAt {
			t.Errorf("web started at %s, before db at %s", web.State.StartedAt, db.State.StartedAt)
		}
		wantCode(t, p.Run("start", "ghost"), 1, "start of an unknown service")
	})

	t.Run("restart", func(t *testing.T) {
		before := p.Inspect("worker").State.StartedAt
		p.MustRun("restart", "-t", "1", "worker")
		after := p.Inspect("worker")
		if !after.State.Running || after.State.StartedAt == before {
			t.Errorf("worker after restart: running=%v started %s (was %s)", after.State.Running, after.State.StartedAt, before)
		}
	})

	t.Run("kill", func(t *testing.T) {
		p.MustRun("kill", "worker")
		in := p.Inspect("worker")
		if in.State.Running || in.State.ExitCode != 137 {
			t.Errorf("worker after kill: running=%v exit %d, want exited 137", in.State.Running, in.State.ExitCode)
		}
		foreignRunning(t, p, other, "kill")
	})

	t.Run("rm", func(t *testing.T) {
		// No terminal to ask on: rm refuses without -f and removes nothing.
		r := p.Run("rm", "worker")
		wantCode(t, r, 1, "rm without -f and without a TTY")
		if !strings.Contains(r.Stderr, "-f") {
			t.Errorf("rm without -f should say to pass -f:\n%s", r.Stderr)
		}
		wantStates(t, p, map[string]string{"worker": "exited"})
		p.MustRun("rm", "-f")
		if _, ok := states(p)[p.Name+"-worker-1"]; ok {
			t.Errorf("worker still exists after rm -f")
		}
		wantStates(t, p, map[string]string{"web": "running", "db": "running"})
		p.MustRun("rm", "-sf", "web")
		if _, ok := states(p)[p.Name+"-web-1"]; ok {
			t.Errorf("web still exists after rm -sf web")
		}
		foreignRunning(t, p, other, "rm")
	})

	t.Run("down", func(t *testing.T) {
		p.MustRun("down", "-t", "1")
		if n, nets, _ := testenv.Counts(t, p.Eng, p.Name); n != 0 || nets != 0 {
			t.Errorf("after down: %d containers, %d networks", n, nets)
		}
		foreignRunning(t, p, other, "down")
	})
}

// TestParityScale checks up --scale: three containers named <p>-worker-1..3, and scaling back removes
// the extras.
func TestParityScale(t *testing.T) {
	p := testenv.NewProject(t, "services:\n  worker:\n    image: ${FIXTURE}\n    command: [sleep]\n    scale: 1\n")
	p.MustRun("up", "-d", "--scale", "worker=3")
	want := []string{p.Name + "-worker-1", p.Name + "-worker-2", p.Name + "-worker-3"}
	if got := running(p); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after --scale worker=3: %v, want %v", got, want)
	}
	r := p.MustRun("exec", "--index", "3", "worker", "/fixture", "env")
	if !strings.Contains(r.Stdout, "HOSTNAME=") {
		t.Errorf("exec --index 3: %s", r.Stdout)
	}
	p.MustRun("up", "-d", "--scale", "worker=1")
	if got := running(p); strings.Join(got, ",") != p.Name+"-worker-1" {
		t.Fatalf("after --scale worker=1: %v", got)
	}
}

func running(p *testenv.Project) []string {
	var out []string
	for name, st := range states(p) {
		if st == "running" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// TestParityExitCodes checks that an attached up returns the code of --exit-code-from's service, and
// of the first container to exit under --abort-on-container-exit, stopping the rest.
func TestParityExitCodes(t *testing.T) {
	p := testenv.NewProject(t, `services:
  server:
    image: ${FIXTURE}
    command: [serve]
  trainer:
    image: ${FIXTURE}
    command: [exit, --code, "7", --after, 300ms]
`)
	wantCode(t, p.Run("up", "--exit-code-from", "trainer"), 7, "up --exit-code-from trainer")
	wantStates(t, p, map[string]string{"server": "exited", "trainer": "exited"})
	wantCode(t, p.Run("up", "--abort-on-container-exit"), 7, "up --abort-on-container-exit")
	wantStates(t, p, map[string]string{"server": "exited"})
	wantCode(t, p.Run("up", "--exit-code-from", "ghost"), 1, "up --exit-code-from an unknown service")
}

// TestParityServiceFields checks fields on the real engine: secrets and configs mounted read-only at
// compose's paths, legacy links resolving, network_mode service:, container_name and its conflict.
func TestParityServiceFields(t *testing.T) {
	p := testenv.NewProject(t, `services:
  db:
    image: ${FIXTURE}
    command: [serve]
  app:
    image: ${FIXTURE}
    command: [sleep]
    container_name: ${NAME}-fixed
    links: ["db:database"]
    secrets: [token]
    configs: [settings, {source: inline, target: /etc/app.conf}]
    hostname: trainer
    read_only: true
    cap_drop: [ALL]
    platform: linux/amd64
  side:
    image: ${FIXTURE}
    command: [sleep]
    network_mode: service:db
secrets:
  token: {file: ./token.txt}
configs:
  settings: {file: ./settings.yaml}
  inline: {content: "debug: true"}
`)
	// The name must be unique per test run: rewrite the file with the project name in it.
	b, _ := os.ReadFile(p.Dir + "/compose.yaml")
	p.Write("compose.yaml", strings.ReplaceAll(string(b), "${NAME}", p.Name))
	p.Write("token.txt", "s3cret")
	p.Write("settings.yaml", "lr: 0.1")
	p.MustRun("up", "-d")

	for path, want := range map[string]string{"/run/secrets/token": "s3cret", "/settings": "lr: 0.1", "/etc/app.conf": "debug: true"} {
		r := p.MustRun("exec", "app", "/fixture", "cat", path)
		if r.Stdout != want {
			t.Errorf("%s in app = %q, want %q", path, r.Stdout, want)
		}
	}
	if r := p.Run("exec", "app", "/fixture", "write", "/run/secrets/token", "x"); r.Code == 0 {
		t.Errorf("a secret is writable")
	}
	p.MustRun("exec", "app", "/fixture", "probe", "--url", "http://database:8080/health")
	p.MustRun("exec", "side", "/fixture", "probe", "--url", "http://127.0.0.1:8080/health")
	in, err := p.Eng.ContainerInspect(context.Background(), p.Name+"-fixed")
	if err != nil {
		t.Fatalf("container_name: %v", err)
	}
	if in.Config.Hostname != "trainer" || !in.HostConfig.ReadonlyRootfs || fmt.Sprint(in.HostConfig.CapDrop) != "[ALL]" {
		t.Errorf("app: hostname %q read_only %v cap_drop %v", in.Config.Hostname, in.HostConfig.ReadonlyRootfs, in.HostConfig.CapDrop)
	}

	// A second project wanting the same container_name gets a clear error and creates nothing.
	q := testenv.NewProject(t, "services:\n  app:\n    image: ${FIXTURE}\n    command: [sleep]\n    container_name: "+p.Name+"-fixed\n")
	r := q.Run("up", "-d")
	if r.Code == 0 || !strings.Contains(r.Stderr, p.Name+"-fixed") {
		t.Errorf("container_name taken: exit %d\n%s", r.Code, r.Stderr)
	}
	if n, _, _ := testenv.Counts(t, q.Eng, q.Name); n != 0 {
		t.Errorf("the refused project created %d containers", n)
	}
}

// TestParityDockerCompose checks interop with docker-compose 1.29: it lists mlstack's containers, and
// mlstack lists (and takes down) containers docker-compose made.
func TestParityDockerCompose(t *testing.T) {
	dc, err := exec.LookPath("docker-compose")
	if err != nil {
		t.Skip("docker-compose is not installed, so compose 1.x interop cannot be checked")
	}
	p := testenv.NewProject(t, "services:\n  api:\n    image: ${FIXTURE}\n    command: [serve]\n  job:\n    image: ${FIXTURE}\n    command: [sleep]\n")
	compose := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(dc, append([]string{"-p", p.Name}, args...)...)
		cmd.Dir = p.Dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker-compose %v: %v\n%s", args, err, out)
		}
		return string(out)
	}

	p.MustRun("up", "-d")
	ids := strings.Fields(compose("ps", "-q"))
	if len(ids) != 2 {
		t.Fatalf("docker-compose ps -q lists %d of mlstack's containers, want 2: %v", len(ids), ids)
	}
	p.MustRun("down")

	compose("up", "-d")
	r := p.MustRun("ps")
	for _, svc := range []string{"api", "job"} {
		if !strings.Contains(r.Stdout, p.Name+"_"+svc+"_1") {
			t.Errorf("mlstack ps does not list docker-compose's %s container:\n%s", svc, r.Stdout)
		}
	}
	p.MustRun("down")
	if n, nets, _ := testenv.Counts(t, p.Eng, p.Name); n != 0 || nets != 0 {
		t.Errorf("mlstack down left %d containers and %d networks of docker-compose's project", n, nets)
	}
}

// TestParityDownRmiLocal checks down --rmi local: the image built for the project goes, an image the
// file names with image: stays.
func TestParityDownRmiLocal(t *testing.T) {
	p := testenv.NewProject(t, "services:\n  built:\n    build: .\n  tagged:\n    image: ${FIXTURE}\n    command: [sleep]\n")
	p.Write("Dockerfile", "FROM "+p.Fixture+"\nCMD [\"sleep\"]\n")
	p.MustRun("up", "-d")
	built := p.Name + "-built"
	if _, err := p.Eng.ImageInspect(context.Background(), built); err != nil {
		t.Fatalf("up did not build %s: %v", built, err)
	}
	r := p.MustRun("down", "--rmi", "local", "-t", "1")
	if _, err := p.Eng.ImageInspect(context.Background(), built); err == nil {
		t.Errorf("image %s survived down --rmi local\n%s", built, r.Stderr)
	}
	if _, err := p.Eng.ImageInspect(context.Background(), p.Fixture); err != nil {
		t.Errorf("down --rmi local removed the tagged image %s", p.Fixture)
	}
	wantCode(t, p.Run("down", "--rmi", "some"), 1, "down --rmi some")
}
