package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/testenv"
)

// execIn runs a command in a container through the engine and returns its stdout.
func execIn(t *testing.T, p *testenv.Project, id string, cmd ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code, err := p.Eng.Exec(ctx, id, engine.ExecOptions{Cmd: cmd}, &out, &errb)
	if err != nil || code != 0 {
		t.Fatalf("exec %v: exit %d (%v): %s", cmd, code, err, errb.String())
	}
	return out.String()
}

// removeProjectImages deletes the images mlstack built for the project, after its containers are gone.
func removeProjectImages(t *testing.T, p *testenv.Project) {
	t.Cleanup(func() {
		testenv.Purge(t, p.Eng, p.Name)
		ctx := context.Background()
		imgs, err := p.Eng.ImageList(ctx, image.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", labels.ProjectFilter(p.Name)))})
		if err != nil {
			return
		}
		for _, im := range imgs {
			p.Eng.ImageRemove(ctx, im.ID, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	})
}

func imageID(t *testing.T, p *testenv.Project, ref string) string {
	t.Helper()
	in, err := p.Eng.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatalf("inspect image %s: %v", ref, err)
	}
	return in.ID
}

func writeRandom(t *testing.T, path string, n int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, n)
	rand.Read(b)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// up builds a service from its context minus .dockerignore, reuses the image while nothing changed,
// and rebuilds and recreates after an edit.
func TestBuildUpIgnoresReusesAndRebuilds(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  web:
    build: ./app
    command: ["serve", "--root", "/app"]
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms, timeout: 2s, retries: 60}
`)
	removeProjectImages(t, p)
	p.Write("app/Dockerfile", "FROM ${FIXTURE}\nCOPY . /app\n")
	// *.ckpt matches at the context root only, as with docker; **/*.ckpt reaches below.
	p.Write("app/.dockerignore", "data/\n*.ckpt\n**/*.ckpt\n")
	p.Write("app/train.py", "print('v1')\n")
	p.Write("app/src/model.py", "weights = 1\n")
	p.Write("app/model.ckpt", "checkpoint")
	p.Write("app/src/best.ckpt", "checkpoint")
	writeRandom(t, filepath.Join(p.Dir, "app/data/train.bin"), 20<<20)

	r := p.MustRun("up", "-d", "--wait")
	if !strings.Contains(r.Stdout, "web | Step 1/") {
		t.Errorf("first up shows no build output prefixed with the service:\n%s", r.Stdout)
	}
	c := p.Inspect("web")
	files := execIn(t, p, c.ID, "/fixture", "ls", "-R", "/app")
	for _, want := range []string{"train.py", "src/model.py", "Dockerfile"} {
		if !strings.Contains(files, want) {
			t.Errorf("image lacks %s:\n%s", want, files)
		}
	}
	for _, bad := range []string{"data", ".ckpt", ".dockerfile"} {
		if strings.Contains(files, bad) {
			t.Errorf("ignored or synthetic file %q reached the image:\n%s", bad, files)
		}
	}
	id1 := imageID(t, p, p.Name+"-web")
	if c.Image != id1 {
		t.Errorf("container runs %s, built image is %s", c.Image, id1)
	}

	r = p.MustRun("up", "-d", "--wait")
	if strings.Contains(r.Stdout, "Step ") || strings.Contains(r.Stderr, "Built") {
		t.Errorf("second up rebuilt an unchanged context:\n%s\n%s", r.Stdout, r.Stderr)
	}
	if id := imageID(t, p, p.Name+"-web"); id != id1 {
		t.Errorf("second up changed the image: %s -> %s", id1, id)
	}
	if got := p.Inspect("web").ID; got != c.ID {
		t.Errorf("second up recreated the container")
	}

	// Files the ignore file drops do not count as changes.
	writeRandom(t, filepath.Join(p.Dir, "app/data/more.bin"), 1000)
	p.Write("app/other.ckpt", "x")
	r = p.MustRun("up", "-d", "--wait")
	if strings.Contains(r.Stdout, "Step ") {
		t.Errorf("a change to ignored files rebuilt:\n%s", r.Stdout)
	}

	p.Write("app/train.py", "print('v2')\n")
	r = p.MustRun("up", "-d", "--wait")
	if !strings.Contains(r.Stdout, "Step ") {
		t.Errorf("an edited context file did not rebuild:\n%s", r.Stdout)
	}
	c2 := p.Inspect("web")
	if c2.ID == c.ID {
		t.Errorf("the container was not recreated after the rebuild")
	}
	if got := execIn(t, p, c2.ID, "/fixture", "cat", "/app/train.py"); got != "print('v2')\n" {
		t.Errorf("container has train.py = %q, want the edit", got)
	}

	// The replaced image goes once no container uses it (at the next up), never before.
	p.MustRun("up", "-d", "--wait")
	if _, err := p.Eng.ImageInspect(context.Background(), id1); err == nil {
		t.Errorf("replaced image %s is still there after its container was recreated", id1)
	}
}

// build builds every service with a build section, reuses unchanged ones, --no-cache rebuilds one,
// and a `# syntax=` line gets the BuildKit explanation from build and up alike.
func TestBuildCommand(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  a:
    build: ./a
  b:
    build:
      context: ./b
      args: {GREETING: hello}
  plain:
    image: ${FIXTURE}
`)
	removeProjectImages(t, p)
	p.Write("a/Dockerfile", "FROM ${FIXTURE}\nCOPY a.txt /a.txt\n")
	p.Write("a/a.txt", "a")
	p.Write("b/Dockerfile", "FROM ${FIXTURE}\nARG GREETING\nENV GREETING=$GREETING\nCOPY b.txt /b.txt\n")
	p.Write("b/b.txt", "b")

	r := p.MustRun("build")
	for _, want := range []string{"a | Step 1/", "b | Step 1/"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("build output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if !strings.Contains(r.Stderr, p.Name+"-a") || !strings.Contains(r.Stderr, "Built") {
		t.Errorf("no Built status:\n%s", r.Stderr)
	}
	idA := imageID(t, p, p.Name+"-a")

	r = p.MustRun("build")
	if strings.Contains(r.Stdout, "Step ") || !strings.Contains(r.Stderr, "Up to date") {
		t.Errorf("unchanged build ran the builder:\n%s\n%s", r.Stdout, r.Stderr)
	}

	r = p.MustRun("build", "--no-cache", "a")
	if !strings.Contains(r.Stdout, "a | Step 1/") || strings.Contains(r.Stdout, "Using cache") {
		t.Errorf("build --no-cache did not rebuild every step:\n%s", r.Stdout)
	}
	if strings.Contains(r.Stdout, "b | ") {
		t.Errorf("build a also built b:\n%s", r.Stdout)
	}
	if imageID(t, p, p.Name+"-a") == idA {
		t.Errorf("build --no-cache kept the image")
	}

	p.Write("a/Dockerfile", "# syntax=docker/dockerfile:1\nFROM ${FIXTURE}\n")
	r = p.Run("build", "a")
	if r.Code == 0 || !strings.Contains(r.Stderr, "Dockerfile:1") || !strings.Contains(r.Stderr, "BuildKit") {
		t.Errorf("syntax line: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	r = p.Run("up", "-d", "a")
	if r.Code == 0 || !strings.Contains(r.Stderr, "BuildKit") {
		t.Errorf("up with a syntax line: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	if n, _, _ := testenv.Counts(t, p.Eng, p.Name); n != 0 {
		t.Errorf("failed build left %d containers", n)
	}
}

// Two services build at the same time: each build's first step is printed before the other ends.
func TestBuildParallel(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  one:
    build: ./one
  two:
    build: ./two
`)
	removeProjectImages(t, p)
	// A 30 MB context per service keeps each upload long enough to overlap.
	for _, s := range []string{"one", "two"} {
		p.Write(s+"/Dockerfile", "FROM ${FIXTURE}\nCOPY blob /blob\n")
		writeRandom(t, filepath.Join(p.Dir, s, "blob"), 30<<20)
	}
	r := p.MustRun("build")
	lines := strings.Split(r.Stdout, "\n")
	firstStep := map[string]int{}
	done := map[string]int{}
	for i, l := range lines {
		svc, rest, ok := strings.Cut(l, " | ")
		if !ok {
			continue
		}
		svc = strings.TrimSpace(svc)
		if _, seen := firstStep[svc]; !seen && strings.HasPrefix(rest, "Step 1/") {
			firstStep[svc] = i
		}
		if strings.HasPrefix(rest, "Successfully built") {
			done[svc] = i
		}
	}
	if len(firstStep) != 2 || len(done) != 2 {
		t.Fatalf("expected both builds' output:\n%s", r.Stdout)
	}
	if firstStep["one"] > done["two"] || firstStep["two"] > done["one"] {
		t.Errorf("builds ran one after the other:\n%s", r.Stdout)
	}
}

// up --no-build refuses a service whose image was never built, naming it and the fix.
func TestBuildNoBuild(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  web:
    build: .
`)
	removeProjectImages(t, p)
	p.Write("Dockerfile", "FROM ${FIXTURE}\n")
	r := p.Run("up", "-d", "--no-build")
	if r.Code == 0 || !strings.Contains(r.Stderr, `service "web"`) || !strings.Contains(r.Stderr, "mlstack build web") {
		t.Errorf("up --no-build: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
}
