package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/enginefake"
	"github.com/mlstack/mlstack/internal/gpu"
	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/testenv"
	"github.com/mlstack/mlstack/internal/ui"
)

// TestMain keeps the project locks and the GPU detection cache of these tests out of the user's directories.
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var _ Engine = (*enginefake.Engine)(nil)

// fakeProject writes a compose file and a build context app/ (FROM base) into a temporary
// directory and returns the directory and a fake engine that has the image "base".
func fakeProject(t *testing.T, yaml string) (string, *enginefake.Engine) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // GPU detection caches its answer there
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{
		"compose.yaml":   yaml,
		"app/Dockerfile": "FROM base\nCOPY train.py /\n",
		"app/train.py":   "print('epoch 1')\n",
	})
	eng := enginefake.New()
	eng.AddImage("base")
	return dir, eng
}

// command is one mlstack command's hooks on the project in dir, as each command makes them anew.
type command struct {
	*Hooks
	out   *testenv.SyncBuffer
	calls *callLog
}

// callLog counts the fake engine's calls by name and target.
type callLog struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *callLog) add(call, target string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[call]++
	c.n[call+" "+target]++
}

func (c *callLog) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

func newCommand(t *testing.T, dir string, eng *enginefake.Engine, o Options) *command {
	t.Helper()
	p, err := project.Load(context.Background(), project.Options{Name: "proj", WorkingDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	calls := &callLog{n: map[string]int{}}
	eng.OnCall = calls.add
	out := &testenv.SyncBuffer{}
	h, err := New(&stack.Stack{API: eng, Project: p, UI: ui.Test(nil, out, out)}, o)
	if err != nil {
		t.Fatal(err)
	}
	return &command{Hooks: h, out: out, calls: calls}
}

func (c *command) image(t *testing.T, service string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.Image(ctx, c.st.Project.Services[service])
}

const trainYAML = `
services:
  training:
    build: ./app
`

func TestImageBuildsWhenInputsChangedAndNotOtherwise(t *testing.T) {
	dir, eng := fakeProject(t, trainYAML)
	first := newCommand(t, dir, eng, Options{})
	id1, err := first.image(t, "training")
	if err != nil {
		t.Fatal(err)
	}
	if n := first.calls.count("build"); n != 1 {
		t.Fatalf("first command: %d builds, want 1", n)
	}
	if !strings.Contains(words(first.out.String()), "Image proj-training Built") {
		t.Errorf("first command did not say it built:\n%s", first.out)
	}

	same := newCommand(t, dir, eng, Options{})
	id2, err := same.image(t, "training")
	if err != nil {
		t.Fatal(err)
	}
	if n := same.calls.count("build"); n != 0 || id2 != id1 {
		t.Errorf("unchanged inputs: %d builds, image %s (was %s); want none and the same image", n, id2, id1)
	}

	testenv.WriteFiles(t, dir, map[string]string{"app/train.py": "print('epoch 1 of a longer run')\n"})
	changed := newCommand(t, dir, eng, Options{})
	id3, err := changed.image(t, "training")
	if err != nil {
		t.Fatal(err)
	}
	if n := changed.calls.count("build"); n != 1 || id3 == id1 {
		t.Errorf("changed train.py: %d builds, image %s (was %s); want one build and a new image", n, id3, id1)
	}

	forced := newCommand(t, dir, eng, Options{Build: true})
	if _, err := forced.image(t, "training"); err != nil {
		t.Fatal(err)
	}
	if n := forced.calls.count("build"); n != 1 {
		t.Errorf("--build: %d builds, want 1", n)
	}
}

func TestNoBuildUsesTheBuiltImageOrSaysHowToGetOne(t *testing.T) {
	dir, eng := fakeProject(t, trainYAML)
	_, err := newCommand(t, dir, eng, Options{NoBuild: true}).image(t, "training")
	if err == nil || !strings.Contains(err.Error(), "run `mlstack build training` or drop --no-build") {
		t.Fatalf("--no-build before any build: %v", err)
	}
	id, err := newCommand(t, dir, eng, Options{}).image(t, "training")
	if err != nil {
		t.Fatal(err)
	}
	testenv.WriteFiles(t, dir, map[string]string{"app/train.py": "changed, but --no-build\n"})
	c := newCommand(t, dir, eng, Options{NoBuild: true})
	got, err := c.image(t, "training")
	if err != nil || got != id || c.calls.count("build") != 0 {
		t.Errorf("--no-build after a build: %s, %v, %d builds; want %s and no build", got, err, c.calls.count("build"), id)
	}
}

func TestPullFollowsPullPolicyAndThePullFlag(t *testing.T) {
	tests := []struct {
		name      string
		policy    string // the service's pull_policy
		flag      string // --pull
		local     bool   // the image is on the engine before the command
		wantPulls int
		wantErr   string
	}{
		{"always pulls a local image", "always", "", true, 1, ""},
		{"missing keeps a local image", "missing", "", true, 0, ""},
		{"missing pulls an absent image", "missing", "", false, 1, ""},
		{"never refuses an absent image", "never", "", false, 0, "pull_policy is never"},
		{"never keeps a local image", "never", "", true, 0, ""},
		{"--pull never overrides always", "always", "never", true, 0, ""},
		{"--pull always overrides missing", "missing", "always", true, 1, ""},
		{"--pull missing overrides always", "always", "missing", true, 0, ""},
		{"build without a build section asks for a build", "build", "", false, 0, "mlstack build db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, eng := fakeProject(t, "services:\n  db:\n    image: redis:7\n    pull_policy: "+tt.policy+"\n")
			remote := eng.AddRegistryImage("redis:7")
			if tt.local {
				eng.AddImage("redis:7")
			}
			c := newCommand(t, dir, eng, Options{Pull: tt.flag})
			id, err := c.image(t, "db")
			if n := c.calls.count("pull redis:7"); n != tt.wantPulls {
				t.Errorf("%d pulls, want %d", n, tt.wantPulls)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantPulls > 0 && id != remote {
				t.Errorf("image %s after a pull, want the registry's %s", id, remote)
			}
		})
	}
}

func TestPullPolicyBuildBuildsEveryTime(t *testing.T) {
	dir, eng := fakeProject(t, "services:\n  training:\n    build: ./app\n    pull_policy: build\n")
	for i := range 2 {
		c := newCommand(t, dir, eng, Options{})
		if _, err := c.image(t, "training"); err != nil {
			t.Fatal(err)
		}
		if n := c.calls.count("build"); n != 1 {
			t.Errorf("command %d: %d builds, want 1 (pull_policy: build)", i+1, n)
		}
	}
}

func TestIdenticalBuildSectionsBuildOnce(t *testing.T) {
	dir, eng := fakeProject(t, `
services:
  training:
    build: ./app
  evaluation:
    build:
      context: ./app
  serving:
    build: ./app
    image: serving:dev
`)
	c := newCommand(t, dir, eng, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Build(ctx, []string{"evaluation", "serving", "training"}); err != nil {
		t.Fatal(err)
	}
	if n := c.calls.count("build"); n != 1 {
		t.Errorf("%d builds for three identical build sections, want 1", n)
	}
	var ids []string
	for _, name := range []string{"proj-training", "proj-evaluation", "serving:dev"} {
		in, err := eng.ImageInspect(ctx, name)
		if err != nil {
			t.Fatalf("image %s: %v", name, err)
		}
		ids = append(ids, in.ID)
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Errorf("the three names point at different images: %v", ids)
	}
	for _, name := range []string{"proj-training", "proj-evaluation", "serving:dev"} {
		if !strings.Contains(words(c.out.String()), "Image "+name+" Built") {
			t.Errorf("no status line for %s:\n%s", name, c.out)
		}
	}
}

const gpuYAML = `
services:
  training:
    image: base
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: all
              capabilities: [gpu]
  db:
    image: base
`

func TestGPUPolicy(t *testing.T) {
	tests := []struct {
		name       string
		flag       string
		engine     string // "gpu", "none", or "refuses" (the runtime says GPU, the start refuses it)
		service    string
		wantGPUs   string // what Describe says the container gets
		wantErr    error
		wantNotice bool
		wantProbe  bool // detection asked the engine
	}{
		{"auto on a GPU engine keeps the reservation", "auto", "gpu", "training", "all", nil, false, true},
		{"auto without GPU runs on CPU with a notice", "auto", "none", "training", "none", nil, true, true},
		{"auto on a service asking none asks nothing", "auto", "none", "db", "none", nil, false, false},
		{"all on a GPU engine", "all", "gpu", "training", "all", nil, false, true},
		{"all without GPU fails", "all", "none", "training", "", gpu.ErrNoGPU, false, true},
		{"N on a GPU engine", "2", "gpu", "training", "2", nil, false, true},
		{"N without GPU fails", "2", "none", "training", "", gpu.ErrNoGPU, false, true},
		{"none drops the reservation without asking", "none", "gpu", "training", "none", nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, eng := fakeProject(t, gpuYAML)
			if tt.engine == "gpu" {
				eng.GPU, eng.Runtimes = true, []string{"nvidia"}
			}
			mode, err := gpu.ParseFlag(tt.flag)
			if err != nil {
				t.Fatal(err)
			}
			c := newCommand(t, dir, eng, Options{GPUs: mode})
			var uo stack.UpOptions
			c.Up(&uo)
			svc := c.st.Project.Services[tt.service]
			for range 2 { // a second decision for the service adds no second notice
				reqs, err := uo.Devices(context.Background(), svc)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Devices: %v, want %v", err, tt.wantErr)
				}
				if err != nil {
					assertNoHintNames(t, err.Error(), tt.flag)
					break
				}
				if got := gpu.Describe(gpuRequests(reqs)); got != tt.wantGPUs {
					t.Errorf("container gets %q, want %q", got, tt.wantGPUs)
				}
			}
			notices := strings.Count(c.out.String(), "no GPU on this engine")
			if want := map[bool]int{true: 1, false: 0}[tt.wantNotice]; notices != want {
				t.Errorf("%d notices, want %d:\n%s", notices, want, c.out)
			}
			assertNoHintNames(t, c.out.String(), tt.flag)
			if asked := c.calls.count("info") > 0; asked != tt.wantProbe {
				t.Errorf("engine asked about GPUs: %v, want %v", asked, tt.wantProbe)
			}
		})
	}
}

// A GPU the runtime promised but the start refused: auto retries on CPU with one notice, and the
// next command does not ask the engine again; all fails naming the way out.
func TestGPUStartRefusedFallsBackToCPUUnderAutoOnly(t *testing.T) {
	refused := errors.New(`Error response from daemon: could not select device driver "nvidia" with capabilities: [[gpu]]`)
	for _, flag := range []string{"auto", "all"} {
		t.Run(flag, func(t *testing.T) {
			dir, eng := fakeProject(t, gpuYAML)
			eng.Runtimes = []string{"nvidia"}
			mode, _ := gpu.ParseFlag(flag)
			c := newCommand(t, dir, eng, Options{GPUs: mode})
			var uo stack.UpOptions
			c.Up(&uo)
			svc := c.st.Project.Services["training"]
			reqs, err := uo.Devices(context.Background(), svc)
			if err != nil || len(reqs) == 0 {
				t.Fatalf("the runtime says GPU: %v, %v", reqs, err)
			}
			for range 2 {
				cpu, ok, err := uo.NoGPU(context.Background(), svc, refused)
				if flag == "all" {
					if ok || !errors.Is(err, gpu.ErrNoGPU) {
						t.Fatalf("--gpus all: retry %v, %v; want the no-GPU error", ok, err)
					}
					assertNoHintNames(t, err.Error(), flag)
					return
				}
				if !ok || err != nil || len(gpuRequests(cpu)) != 0 {
					t.Fatalf("auto: retry %v, %v, %v; want CPU", cpu, ok, err)
				}
			}
			if n := strings.Count(c.out.String(), `no GPU on this engine: running "training" on CPU`); n != 1 {
				t.Errorf("%d notices naming the service, want 1:\n%s", n, c.out)
			}
			if d, _ := c.GPUs.Decision("training"); d.Granted != "none" {
				t.Errorf("decision after the fallback grants %q, want none", d.Granted)
			}
		})
	}
}

func gpuRequests(reqs []container.DeviceRequest) []container.DeviceRequest {
	var out []container.DeviceRequest
	for _, r := range reqs {
		if gpu.IsGPURequest(r) {
			out = append(out, r)
		}
	}
	return out
}

// assertNoHintNames fails when msg suggests the --gpus value already in force.
func assertNoHintNames(t *testing.T, msg, flag string) {
	t.Helper()
	for _, hint := range []string{"use --gpus " + flag, "or --gpus " + flag + " ", "or --gpus " + flag + ")", "--gpus " + flag + " to"} {
		if strings.Contains(msg, hint) {
			t.Errorf("message suggests %q, already in force: %s", "--gpus "+flag, msg)
		}
	}
}

// words is s with every run of blanks made one space, as a reader sees the status columns.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }
