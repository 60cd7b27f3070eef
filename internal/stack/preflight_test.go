package stack

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/api/types/container"
)

const dbWithVolume = `
services:
  db:
    image: fixture
    volumes: ["data:/data"]
  api:
    image: fixture
    depends_on: [db]
volumes:
  data: {}
`

// projectLeftovers lists what of project "proj" exists on the fake engine.
func projectLeftovers(fs *fakeStack) []string {
	var out []string
	for _, c := range fs.eng.Containers() {
		if c.Config.Labels["com.docker.compose.project"] == "proj" {
			out = append(out, "container "+c.Name)
		}
	}
	for _, n := range fs.eng.NetworkNames() {
		out = append(out, "network "+n)
	}
	for _, v := range fs.eng.VolumeNames() {
		out = append(out, "volume "+v)
	}
	return out
}

func TestUpRefusedForAForeignContainerOnAGeneratedNameLeavesNothing(t *testing.T) {
	fs := newFakeStack(t, dbWithVolume)
	ctx := testCtx(t)
	if _, err := fs.eng.ContainerCreate(ctx, &container.Config{Image: "fixture"}, nil, nil, nil, "proj-api-1"); err != nil {
		t.Fatal(err)
	}
	err := fs.Up(ctx, UpOptions{Detach: true})
	if err == nil || !strings.Contains(err.Error(), `service "api"`) || !strings.Contains(err.Error(), `"proj-api-1" is already used`) {
		t.Fatalf("want a refusal naming api and its container name, got %v", err)
	}
	if left := projectLeftovers(fs); len(left) != 0 {
		t.Fatalf("the refused up left %v", left)
	}
}

func TestUpRefusesAnUnlabelledDefaultNetwork(t *testing.T) {
	fs := newFakeStack(t, dbWithVolume)
	fs.eng.AddNetwork("proj_default", nil)
	err := fs.Up(testCtx(t), UpOptions{Detach: true})
	if err == nil || !strings.Contains(err.Error(), "network proj_default (networks.default) exists but was not created for this project") ||
		!strings.Contains(err.Error(), "docker network rm proj_default") {
		t.Fatalf("want the network refused, got %v", err)
	}
	if n := len(fs.eng.Containers()); n != 0 {
		t.Fatalf("%d containers created", n)
	}
	// Declared external, the same network is used as is.
	fs2 := newFakeStack(t, dbWithVolume+"networks:\n  default: {name: proj_default, external: true}\n")
	fs2.eng.AddNetwork("proj_default", nil)
	if err := fs2.Up(testCtx(t), UpOptions{Detach: true}); err != nil {
		t.Fatalf("external network: %v", err)
	}
}

func TestPreflightRefusesTheSameHostPortTwiceInOneService(t *testing.T) {
	fs := newFakeStack(t, `
services:
  web:
    image: fixture
    ports: ["127.0.0.1:18080:80", "127.0.0.1:18080:81"]
`)
	err := fs.Up(testCtx(t), UpOptions{Detach: true})
	if err == nil || !strings.Contains(err.Error(), `service "web" publishes host port 18080/tcp twice (services.web.ports)`) {
		t.Fatalf("got %v", err)
	}
	if left := projectLeftovers(fs); len(left) != 0 {
		t.Fatalf("the refused up left %v", left)
	}
}

func TestDownNamesAnOrphanThatHoldsTheNetwork(t *testing.T) {
	fs := newFakeStack(t, dbWithVolume)
	ctx := testCtx(t)
	if err := fs.Up(ctx, UpOptions{Detach: true}); err != nil {
		t.Fatal(err)
	}
	delete(fs.Project.Services, "api")
	delete(fs.Project.All, "api")
	err := fs.Down(ctx, DownOptions{})
	if err == nil || !strings.Contains(err.Error(), "orphan container proj-api-1") || !strings.Contains(err.Error(), "--remove-orphans") {
		t.Fatalf("want the orphan named with --remove-orphans, got %v", err)
	}
	if strings.Contains(err.Error(), "dockerd") {
		t.Fatalf("down blames the daemon: %v", err)
	}
	if err := fs.Down(context.Background(), DownOptions{RemoveOrphans: true}); err != nil {
		t.Fatalf("down --remove-orphans: %v", err)
	}
	if left := projectLeftovers(fs); len(left) != 1 || left[0] != "volume proj_data" {
		t.Fatalf("after down --remove-orphans: %v", left)
	}
}

func TestUpRefusesATakenContainerNameNamingTheField(t *testing.T) {
	fs := newFakeStack(t, `
services:
  api:
    image: fixture
    container_name: fixed-api
`)
	ctx := testCtx(t)
	if _, err := fs.eng.ContainerCreate(ctx, &container.Config{Image: "fixture", Labels: map[string]string{"com.docker.compose.project": "other"}}, nil, nil, nil, "fixed-api"); err != nil {
		t.Fatal(err)
	}
	err := fs.Up(ctx, UpOptions{Detach: true})
	if err == nil || !strings.Contains(err.Error(), `container_name "fixed-api" is already used`) || !strings.Contains(err.Error(), "project other") {
		t.Fatalf("want a refusal naming container_name and the project that holds it, got %v", err)
	}
}

// A cold up's engine calls before its first create do not grow with the number of services: the
// names it will create are checked in one list, not one inspect each.
func TestColdUpChecksNamesInOneCall(t *testing.T) {
	var b strings.Builder
	b.WriteString("services:\n")
	for i := range 30 {
		fmt.Fprintf(&b, "  s%02d:\n    image: fixture\n", i)
	}
	fs := newFakeStack(t, b.String())
	var mu sync.Mutex
	var before []string
	created := false
	fs.eng.OnCall = func(name, target string) {
		mu.Lock()
		defer mu.Unlock()
		if name == "create" {
			created = true
		}
		if !created {
			before = append(before, name)
		}
	}
	if err := fs.Up(testCtx(t), UpOptions{Detach: true}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// One image inspect (the services share the image), the subscription, the project's list, the
	// names list, the network's inspect and create, and the lock's engine ID.
	if len(before) > 10 {
		t.Fatalf("%d engine calls before the first create of 30 services, want at most 10: %v", len(before), before)
	}
}
