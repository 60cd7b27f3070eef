package stack

import (
	"strings"
	"testing"

	"github.com/mlstack/mlstack/internal/enginefake"
)

const twoServices = `
services:
  db:
    image: fixture
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 1s}
  migrate:
    image: fixture
    depends_on: {db: {condition: service_healthy}}
  api:
    image: fixture
    depends_on:
      migrate: {condition: service_completed_successfully}
      db: {condition: service_healthy, restart: true}
`

func TestUpCreatesStartsInOrderAndKeepsWhatIsUnchanged(t *testing.T) {
	fs := newFakeStack(t, twoServices)
	fs.eng.SetBehavior("db", enginefake.Behavior{Health: "healthy"})
	fs.eng.SetBehavior("migrate", enginefake.Behavior{Exit: ptr(0)})
	if err := fs.Up(testCtx(t), UpOptions{Detach: true, Wait: true, EngineHealth: true}); err != nil {
		t.Fatalf("up: %v\n%s", err, fs.out)
	}
	cs := fs.eng.Containers()
	if len(cs) != 3 {
		t.Fatalf("want 3 containers, got %d", len(cs))
	}
	first := map[string]string{}
	for _, c := range cs {
		first[c.Name] = c.ID
	}
	if got := fs.eng.NetworkNames(); len(got) != 1 || got[0] != "proj_default" {
		t.Fatalf("networks: %v", got)
	}

	// A second up keeps everything: no container is recreated, and the completed init job is not run again.
	if err := fs.Up(testCtx(t), UpOptions{Detach: true, Wait: true, EngineHealth: true}); err != nil {
		t.Fatalf("second up: %v\n%s", err, fs.out)
	}
	for _, c := range fs.eng.Containers() {
		if first[c.Name] != c.ID {
			t.Errorf("%s was recreated on an unchanged up", c.Name)
		}
		if c.Name == "proj-migrate-1" && c.Restarts != 0 {
			t.Errorf("the completed init job ran again")
		}
	}
	if !strings.Contains(fs.out.String(), "Container proj-migrate-1 Completed") && !strings.Contains(fs.out.String(), "Completed") {
		t.Errorf("output does not say the init job completed:\n%s", fs.out)
	}
}

func TestUpStartsStoppedContainerAndRecreatesChangedOnes(t *testing.T) {
	fs := newFakeStack(t, twoServices)
	fs.eng.SetBehavior("db", enginefake.Behavior{Health: "healthy"})
	fs.eng.SetBehavior("migrate", enginefake.Behavior{Exit: ptr(0)})
	ctx := testCtx(t)
	if err := fs.Up(ctx, UpOptions{Detach: true, EngineHealth: true}); err != nil {
		t.Fatalf("up: %v", err)
	}
	api, _ := fs.eng.Lookup("proj-api-1")
	if err := fs.eng.ContainerStop(ctx, api.ID, containerStopOptions()); err != nil {
		t.Fatal(err)
	}
	if err := fs.Up(ctx, UpOptions{Detach: true, EngineHealth: true}); err != nil {
		t.Fatalf("up after stop: %v", err)
	}
	again, _ := fs.eng.Lookup("proj-api-1")
	if again.ID != api.ID || again.State != "running" {
		t.Fatalf("stopped api: want the same container started, got id changed=%v state=%s", again.ID != api.ID, again.State)
	}

	// --force-recreate on db recreates it, and api follows because it declares restart: true.
	db, _ := fs.eng.Lookup("proj-db-1")
	if err := fs.Up(ctx, UpOptions{Detach: true, EngineHealth: true, ForceRecreate: true, Services: []string{"db"}, NoDeps: true}); err != nil {
		t.Fatalf("force recreate: %v", err)
	}
	db2, _ := fs.eng.Lookup("proj-db-1")
	if db2.ID == db.ID {
		t.Fatal("db was not recreated under --force-recreate")
	}

	// A changed config hash recreates the service and its restart: true dependents.
	fs.Project.Services["db"] = withEnv(fs.Project.Services["db"], "X", "1")
	if err := fs.Up(ctx, UpOptions{Detach: true, EngineHealth: true}); err != nil {
		t.Fatalf("up after change: %v", err)
	}
	db3, _ := fs.eng.Lookup("proj-db-1")
	api3, _ := fs.eng.Lookup("proj-api-1")
	if db3.ID == db2.ID {
		t.Error("changed db was not recreated")
	}
	if api3.ID == again.ID {
		t.Error("api (restart: true on db) was not recreated after db was")
	}
}

func TestUpScalesUpAndDown(t *testing.T) {
	fs := newFakeStack(t, "services:\n  worker: {image: fixture}\n")
	ctx := testCtx(t)
	count := func() int {
		n := 0
		for _, c := range fs.eng.Containers() {
			if strings.HasPrefix(c.Name, "proj-worker-") {
				n++
			}
		}
		return n
	}
	if err := fs.Up(ctx, UpOptions{Detach: true, Scale: map[string]int{"worker": 3}}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 3 {
		t.Fatalf("scale 3: %d containers", n)
	}
	if err := fs.Up(ctx, UpOptions{Detach: true, Scale: map[string]int{"worker": 1}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := fs.eng.Lookup("proj-worker-1"); !ok || count() != 1 {
		t.Fatalf("scale 1: %d containers", count())
	}
}

func TestUpNoStartCreatesOnlyAndNoRecreateKeepsChanged(t *testing.T) {
	fs := newFakeStack(t, "services:\n  web: {image: fixture}\n")
	ctx := testCtx(t)
	if err := fs.Up(ctx, UpOptions{Detach: true, NoStart: true}); err != nil {
		t.Fatal(err)
	}
	web, _ := fs.eng.Lookup("proj-web-1")
	if web.State != "created" {
		t.Fatalf("--no-start: web is %s", web.State)
	}
	fs.Project.Services["web"] = withEnv(fs.Project.Services["web"], "X", "1")
	if err := fs.Up(ctx, UpOptions{Detach: true, NoRecreate: true}); err != nil {
		t.Fatal(err)
	}
	again, _ := fs.eng.Lookup("proj-web-1")
	if again.ID != web.ID || again.State != "running" {
		t.Fatalf("--no-recreate: recreated=%v state=%s", again.ID != web.ID, again.State)
	}
}

func TestUpStartFailureRemovesTheContainerAndNamesTheService(t *testing.T) {
	fs := newFakeStack(t, "services:\n  gpu: {image: fixture}\n")
	fs.eng.SetBehavior("gpu", enginefake.Behavior{StartErr: `could not select device driver "nvidia" with capabilities: [[gpu]]`})
	err := fs.Up(testCtx(t), UpOptions{Detach: true})
	if err == nil || !strings.Contains(err.Error(), `start service "gpu"`) || !strings.Contains(err.Error(), "could not give the container a GPU") {
		t.Fatalf("got %v", err)
	}
	if _, ok := fs.eng.Lookup("proj-gpu-1"); ok {
		t.Fatal("a container that cannot start was left behind")
	}
}
