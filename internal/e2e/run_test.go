package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/testenv"
)

func TestRunOneOffs(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  db:
    image: ${FIXTURE}
    command: ["serve"]
    healthcheck:
      test: ["CMD", "/fixture", "probe"]
      interval: 500ms
  worker:
    image: ${FIXTURE}
    command: ["print", "--lines", "2"]
    ports: ["127.0.0.1::8080"]
    depends_on:
      db: {condition: service_healthy}
`)
	r := p.MustRun("run", "worker")
	if !strings.Contains(r.Stdout, "line 2") {
		t.Errorf("run worker: stdout %q", r.Stdout)
	}
	if db := p.Inspect("db"); db.State == nil || !db.State.Running {
		t.Errorf("dependency db not running after run")
	}
	if n := oneOffs(t, p); n != 0 {
		t.Errorf("--rm is the default, yet %d one-off container(s) are left", n)
	}

	if r := p.Run("run", "--no-deps", "worker", "exit", "--code", "4"); r.Code != 4 {
		t.Errorf("run … exit --code 4: exit %d\n%s", r.Code, r.Stderr)
	}
	r = p.MustRun("run", "--no-deps", "-e", "GREETING=hi there", "-w", "/tmp", "worker", "env")
	if !strings.Contains(r.Stdout, "GREETING=hi there") {
		t.Errorf("-e not passed: %s", r.Stdout)
	}

	p.MustRun("run", "--no-deps", "--rm=false", "worker", "exit")
	cs := p.Containers()
	var kept int
	for _, c := range cs {
		if c.Labels[labels.OneOff] != "True" {
			continue
		}
		kept++
		name := strings.TrimPrefix(c.Names[0], "/")
		if !regexp.MustCompile(`^` + regexp.QuoteMeta(p.Name) + `-worker-run-[0-9a-f]{12}$`).MatchString(name) {
			t.Errorf("one-off name %q", name)
		}
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(c.Labels[labels.Slug]) || c.Labels[labels.Service] != "worker" {
			t.Errorf("one-off labels %v", c.Labels)
		}
		if len(c.Ports) != 0 {
			t.Errorf("service ports published without --service-ports: %v", c.Ports)
		}
	}
	if kept != 1 {
		t.Errorf("--rm=false kept %d containers, want 1", kept)
	}

	d := p.MustRun("run", "-d", "--no-deps", "--service-ports", "--name", p.Name+"-bg", "worker", "sleep")
	if strings.TrimSpace(d.Stdout) != p.Name+"-bg" {
		t.Errorf("run -d printed %q", d.Stdout)
	}
	in, err := p.Eng.ContainerInspect(context.Background(), p.Name+"-bg")
	if err != nil {
		t.Fatalf("run -d: %v", err)
	}
	if !in.State.Running || len(in.NetworkSettings.Ports["8080/tcp"]) == 0 {
		t.Errorf("run -d --service-ports: running %v, ports %v", in.State.Running, in.NetworkSettings.Ports)
	}

	if r := p.Run("run", "nosuch"); r.Code == 0 || !strings.Contains(r.Stderr, "worker") {
		t.Errorf("unknown service: exit %d, %q", r.Code, r.Stderr)
	}
}
