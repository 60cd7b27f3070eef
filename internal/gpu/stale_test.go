package gpu

import (
	"context"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/testenv"
)

// A probe killed midway leaves its container; the next probe removes it.
func TestProbeRemovesProbeContainersLeftBehind(t *testing.T) {
	eng := testenv.Integration(t)
	ctx := context.Background()
	img := testenv.FixtureImage(t, eng)
	resp, err := eng.ContainerCreate(ctx, &container.Config{Image: img, Entrypoint: []string{probeEntrypoint}, Labels: map[string]string{probeLabel: "1"}}, &container.HostConfig{NetworkMode: "none"}, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.ContainerRemove(ctx, resp.ID, container.RemoveOptions{Force: true}) })
	d := &Detector{Eng: eng}
	d.removeStaleProbes(ctx, 0)
	if _, err := eng.ContainerInspect(ctx, resp.ID); !engine.IsNotFound(err) {
		t.Fatalf("the probe container left behind is still there: %v", err)
	}
}
