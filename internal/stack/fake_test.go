package stack

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/enginefake"
	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/testenv"
	"github.com/mlstack/mlstack/internal/ui"
)

var _ Engine = (*enginefake.Engine)(nil)

// TestMain puts the project locks (kept in the runtime directory) in a temporary directory, so the
// locks of the tests' many fake engines do not pile up in the user's.
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// fakeStack loads a compose file into a project in a temporary directory and binds it to a fake
// engine that knows the image "fixture".
type fakeStack struct {
	*Stack
	eng *enginefake.Engine
	out *testenv.SyncBuffer
}

func newFakeStack(t testing.TB, yaml string) *fakeStack {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := project.Load(context.Background(), project.Options{Name: "proj", WorkingDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	return onFakeEngine(p)
}

// onFakeEngine binds a loaded project to a new fake engine.
func onFakeEngine(p *project.Project) *fakeStack {
	eng := enginefake.New()
	eng.Local = false
	eng.AddImage("fixture")
	out := &testenv.SyncBuffer{}
	return &fakeStack{Stack: &Stack{API: eng, Project: p, UI: ui.Test(nil, out, out)}, eng: eng, out: out}
}

// ctx gives a test call a generous bound: a hang fails the test instead of the whole run.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

func containerStopOptions() container.StopOptions { return container.StopOptions{} }

// withEnv returns a copy of svc with one more environment variable, which changes its config hash.
func withEnv(svc types.ServiceConfig, k, v string) types.ServiceConfig {
	env := types.MappingWithEquals{}
	for ek, ev := range svc.Environment {
		env[ek] = ev
	}
	env[k] = &v
	svc.Environment = env
	return svc
}
