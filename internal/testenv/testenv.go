// Package testenv is the integration-test harness: it connects to the real engine (failing loudly,
// never skipping, when there is none), builds the fixture image and the mlstack binary once, and
// gives each test a uniquely named compose project whose resources are removed afterwards.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/fixtureimage"
	"github.com/mlstack/mlstack/internal/labels"
)

// FixtureRepo is the fixture image's repository; the tag is a hash of the fixture's source.
const FixtureRepo = fixtureimage.Repo

// Integration marks a test as needing the real engine. Under -short it skips with that reason;
// otherwise a missing engine fails the test with what was tried.
func Integration(t testing.TB) *engine.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs the Docker engine (run without -short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	eng, err := engine.Connect(ctx, engine.Options{})
	if err != nil {
		t.Fatalf("integration tests need a running Docker engine: %v", err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// Main runs a package's tests with XDG_RUNTIME_DIR, where mlstack keeps its per-project locks, in a
// temporary directory that it removes afterwards: the locks of the tests and of the mlstack binaries
// they run do not pile up in the user's. Use: func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
func Main(m *testing.M) int {
	dir, err := os.MkdirTemp("", "mlstack-test-runtime-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: runtime directory: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Setenv("XDG_RUNTIME_DIR", dir); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		return 1
	}
	return m.Run()
}

// ModuleRoot is the repository root (where go.mod is).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("find module root: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// lockFile serialises image and binary builds across test packages running in parallel.
func lockFile(t testing.TB, name string) func() {
	t.Helper()
	path := filepath.Join(os.TempDir(), "mlstack-test-"+name+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatalf("lock %s: %v", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("lock %s: %v", path, err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }
}

// FixtureImage returns the fixture image's reference, building it through the Engine API when its
// source changed (see internal/fixtureimage). Builds are serialised across test packages.
func FixtureImage(t testing.TB, eng *engine.Client) string {
	t.Helper()
	defer lockFile(t, "fixture")()
	ref, err := fixtureimage.Ensure(context.Background(), eng, ModuleRoot(t))
	if err != nil {
		t.Fatalf("fixture image: %v", err)
	}
	return ref
}

// Binary returns the path of an mlstack binary built from this tree (or $MLSTACK_BIN when set),
// with mlstack-kube beside it, which mlstack hands cluster commands to.
func Binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("MLSTACK_BIN"); b != "" {
		abs, err := filepath.Abs(b)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	root := ModuleRoot(t)
	dir := filepath.Join(os.TempDir(), "mlstack-test-bin")
	defer lockFile(t, "binary")()
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./cmd/mlstack", "./cmd/mlstack-kube")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build mlstack and mlstack-kube: %v\n%s", err, b)
	}
	return filepath.Join(dir, "mlstack")
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

// ProjectName returns a unique, valid compose project name derived from the test's name.
func ProjectName(t testing.TB) string {
	b := make([]byte, 3)
	rand.Read(b)
	n := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(n) > 30 {
		n = n[:30]
	}
	return "mlt-" + n + "-" + hex.EncodeToString(b)
}

// Project is a compose project written to a temporary directory for one test.
type Project struct {
	t    testing.TB
	Eng  *engine.Client
	Dir  string
	Name string
	Bin  string
	// Fixture is the fixture image reference, substituted for ${FIXTURE} in compose files.
	Fixture string
}

// NewProject writes compose.yaml (with ${FIXTURE} replaced by the fixture image) and registers a
// cleanup that removes every container, network and volume carrying the project's label.
func NewProject(t testing.TB, composeYAML string) *Project {
	t.Helper()
	eng := Integration(t)
	p := &Project{t: t, Eng: eng, Dir: t.TempDir(), Name: ProjectName(t), Bin: Binary(t), Fixture: FixtureImage(t, eng)}
	p.Write("compose.yaml", composeYAML)
	t.Cleanup(func() { Purge(t, eng, p.Name) })
	return p
}

// Write writes a file under the project directory, replacing ${FIXTURE}.
func (p *Project) Write(rel, content string) {
	p.t.Helper()
	path := filepath.Join(p.Dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	content = strings.ReplaceAll(content, "${FIXTURE}", p.Fixture)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// Result is a finished mlstack invocation.
type Result struct {
	Stdout, Stderr string
	Code           int
	Took           time.Duration
}

// Run runs mlstack -p NAME ARGS... in the project directory and returns its output and exit code.
func (p *Project) Run(args ...string) Result {
	p.t.Helper()
	return p.RunEnv(nil, args...)
}

// RunEnv is Run with extra environment variables.
func (p *Project) RunEnv(env []string, args ...string) Result {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := p.Command(ctx, env, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := Result{Stdout: out.String(), Stderr: errb.String(), Took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatalf("run mlstack %v: %v", args, err)
	}
	return r
}

// Command prepares mlstack -p NAME ARGS... without running it.
func (p *Project) Command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, p.Bin, append([]string{"-p", p.Name}, args...)...)
	cmd.Dir = p.Dir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	return cmd
}

// MustRun runs mlstack and fails the test unless it exits 0.
func (p *Project) MustRun(args ...string) Result {
	p.t.Helper()
	r := p.Run(args...)
	if r.Code != 0 {
		p.t.Fatalf("mlstack %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r
}

// Containers lists the project's containers (all states).
func (p *Project) Containers() []container.Summary {
	p.t.Helper()
	cs, err := p.Eng.ContainerList(context.Background(), container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", labels.ProjectFilter(p.Name)))})
	if err != nil {
		p.t.Fatal(err)
	}
	return cs
}

// Inspect inspects the container of a service (number 1).
func (p *Project) Inspect(service string) container.InspectResponse {
	p.t.Helper()
	for _, c := range p.Containers() {
		if c.Labels[labels.Service] == service && c.Labels[labels.OneOff] == "False" {
			in, err := p.Eng.ContainerInspect(context.Background(), c.ID)
			if err != nil {
				p.t.Fatal(err)
			}
			return in
		}
	}
	p.t.Fatalf("no container for service %q in project %s", service, p.Name)
	return container.InspectResponse{}
}

// Counts returns how many containers, networks and volumes carry the project's label.
func Counts(t testing.TB, eng *engine.Client, project string) (containers, networks, volumes int) {
	t.Helper()
	ctx := context.Background()
	f := filters.NewArgs(filters.Arg("label", labels.ProjectFilter(project)))
	cs, err := eng.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := eng.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := eng.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	return len(cs), len(ns), len(vs.Volumes)
}

// Purge force-removes everything labelled with the project, for cleanup.
func Purge(t testing.TB, eng *engine.Client, project string) {
	ctx := context.Background()
	f := filters.NewArgs(filters.Arg("label", labels.ProjectFilter(project)))
	if cs, err := eng.ContainerList(ctx, container.ListOptions{All: true, Filters: f}); err == nil {
		for _, c := range cs {
			_ = eng.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		}
	}
	if ns, err := eng.NetworkList(ctx, network.ListOptions{Filters: f}); err == nil {
		for _, n := range ns {
			_ = eng.NetworkRemove(ctx, n.ID)
		}
	}
	if vs, err := eng.VolumeList(ctx, volume.ListOptions{Filters: f}); err == nil {
		for _, v := range vs.Volumes {
			_ = eng.VolumeRemove(ctx, v.Name, true)
		}
	}
}
