package build

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/image"

	"github.com/mlstack/mlstack/internal/enginefake"
	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/testenv"
)

var _ Engine = (*enginefake.Engine)(nil)

// fakeBuilds is a fake engine with the image "base" that logs its build, pull and tag calls in order.
type fakeBuilds struct {
	*enginefake.Engine
	mu    sync.Mutex
	calls []string
}

func newFakeBuilds() *fakeBuilds {
	f := &fakeBuilds{Engine: enginefake.New()}
	f.AddImage("base")
	f.OnCall = func(call, target string) {
		if call == "build" || call == "pull" || call == "tag" {
			f.mu.Lock()
			f.calls = append(f.calls, call+" "+target)
			f.mu.Unlock()
		}
	}
	return f
}

// took returns the logged calls and forgets them.
func (f *fakeBuilds) took() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func fakeProject(dir string, services ...types.ServiceConfig) *project.Project {
	all := types.Services{}
	for _, s := range services {
		all[s.Name] = s
	}
	return &project.Project{Project: &types.Project{Name: "proj", WorkingDir: dir, Services: all}}
}

func buildService(name, ctxDir string) types.ServiceConfig {
	svc := types.ServiceConfig{Name: name}
	svc.Build = &types.BuildConfig{Context: ctxDir}
	return svc
}

func TestServiceBuildsOnlyWhenTheHashChanges(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"app/Dockerfile": "FROM base\nCOPY . /app\n", "app/train.py": "v1"})
	eng := newFakeBuilds()
	p := fakeProject(dir, buildService("training", "app"))
	svc := p.Services["training"]
	ctx := context.Background()
	var out bytes.Buffer

	id, built, err := Service(ctx, eng, p, svc, Options{}, &out)
	if err != nil || !built {
		t.Fatalf("first build: %v, built %v", err, built)
	}
	if got := eng.took(); !slices.Equal(got, []string{"build proj-training"}) {
		t.Errorf("calls %q, want one build", got)
	}
	if !strings.Contains(out.String(), "fake build of proj-training") {
		t.Errorf("the builder's output did not reach out: %q", out.String())
	}
	in, err := eng.ImageInspect(ctx, "proj-training")
	if err != nil || in.ID != id || in.Config.Labels[HashLabel] == "" || in.Config.Labels["com.docker.compose.service"] != "training" {
		t.Fatalf("built image: %+v, %v", in, err)
	}

	again, built, err := Service(ctx, eng, p, svc, Options{}, &out)
	if err != nil || built || again != id || len(eng.took()) != 0 {
		t.Errorf("unchanged: %s, built %v, %v; want %s reused without a build", again, built, err, id)
	}
	if _, built, _ := Service(ctx, eng, p, svc, Options{Force: true}, &out); !built {
		t.Error("Force did not build")
	}
	eng.took()

	testenv.WriteFiles(t, dir, map[string]string{"app/train.py": "v2, longer"})
	changed, built, err := Service(ctx, eng, p, svc, Options{}, &out)
	if err != nil || !built || changed == id {
		t.Errorf("changed input: %s, built %v, %v; want a new image", changed, built, err)
	}
	// The images the rebuilds replaced lost their tag and are pruned.
	if ids := imageIDs(t, eng); len(ids) != 2 || !slices.Contains(ids, changed) {
		t.Errorf("images left: %v; want base and %s", ids, changed)
	}
}

func imageIDs(t *testing.T, eng *fakeBuilds) []string {
	t.Helper()
	list, err := eng.ImageList(context.Background(), image.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, im := range list {
		ids = append(ids, im.ID)
	}
	return ids
}

func TestServiceBaseImages(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"app/Dockerfile": "FROM base\n", "gone/Dockerfile": "# a comment\nFROM missing:1\n"})
	ctx := context.Background()
	var out bytes.Buffer

	eng := newFakeBuilds()
	p := fakeProject(dir, buildService("training", "app"), buildService("serving", "gone"))
	_, _, err := Service(ctx, eng, p, p.Services["serving"], Options{}, &out)
	if err == nil || !strings.Contains(err.Error(), "gone/Dockerfile:2: base image missing:1 is not on this engine and could not be pulled") {
		t.Errorf("missing base: %v", err)
	}
	eng.took()

	_, built, err := Service(ctx, eng, p, p.Services["training"], Options{Pull: true}, &out)
	if err != nil || !built {
		t.Fatalf("pull of a local base without a registry: %v", err)
	}
	if got := eng.took(); !slices.Equal(got, []string{"pull base", "build proj-training"}) {
		t.Errorf("calls %q, want the base pulled, then the build", got)
	}

	newBase := eng.AddRegistryImage("base")
	_, built, err = Service(ctx, eng, p, p.Services["training"], Options{Pull: true}, &out)
	if err != nil || !built {
		t.Errorf("a newer base pulled: built %v, %v; want a rebuild on %s", built, err, newBase)
	}
}

func TestSetBuildsBasesFirstAndIdenticalSectionsOnce(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"base/Dockerfile": "FROM base\n", "app/Dockerfile": "FROM proj-common\nCOPY . /\n"})
	eng := newFakeBuilds()
	p := fakeProject(dir, buildService("common", "base"), buildService("training", "app"), buildService("evaluation", "app"))
	s, err := NewSet(eng, p, Options{}, func(string) io.Writer { return io.Discard })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, n := range []string{"evaluation", "training"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := s.Image(ctx, p.Services[n]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	calls := eng.took()
	builds := slices.DeleteFunc(slices.Clone(calls), func(c string) bool { return !strings.HasPrefix(c, "build ") })
	if len(builds) != 2 || builds[0] != "build proj-common" {
		t.Errorf("builds %q; want proj-common first, then one build for training and evaluation", builds)
	}
	a, _ := eng.ImageInspect(ctx, "proj-training")
	b, _ := eng.ImageInspect(ctx, "proj-evaluation")
	if a.ID == "" || a.ID != b.ID {
		t.Errorf("training %q and evaluation %q should share one image", a.ID, b.ID)
	}
}
