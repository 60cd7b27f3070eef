package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlstack/mlstack/internal/gpu"
	"github.com/mlstack/mlstack/internal/testenv"
)

// engineHasGPU asks the engine itself, through the detector mlstack uses, with a cache of the
// test's own, so tests assert the branch this engine takes.
func engineHasGPU(t *testing.T, p *testenv.Project) bool {
	t.Helper()
	d := &gpu.Detector{Eng: p.Eng, Cache: gpu.Cache{Path: filepath.Join(t.TempDir(), "gpu.json")}}
	has, err := d.HasGPU(context.Background(), p.Fixture)
	if err != nil {
		t.Fatalf("detect GPUs: %v", err)
	}
	return has
}

// When detection was wrong (here: a cached answer says GPU on an engine without one), up starts
// the GPU service on CPU with one notice, as train does, and remembers the engine's answer; its
// hints never suggest the mode in force.
func TestUpFallsBackToCPUWhenDetectionWasWrong(t *testing.T) {
	p := testenv.NewProject(t, `
services:
  trainer:
    image: ${FIXTURE}
    command: ["sleep"]
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: 1
              capabilities: [gpu]
`)
	has := engineHasGPU(t, p)
	cacheHome := t.TempDir()
	info, err := p.Eng.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cache := gpu.Cache{Path: filepath.Join(cacheHome, "mlstack", "gpu.json")}
	key := gpu.EngineKey(info.ID, p.Eng.Host)
	if err := cache.Store(key, gpu.Entry{HasGPU: true, How: "probe"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	env := []string{"XDG_CACHE_HOME=" + cacheHome}

	r := p.RunEnv(env, "up", "-d")
	if r.Code != 0 {
		t.Fatalf("up: exit %d\n%s", r.Code, r.Stderr)
	}
	granted := len(p.Inspect("trainer").HostConfig.DeviceRequests)
	if has {
		if granted != 1 || strings.Contains(r.Stderr, "on CPU") {
			t.Errorf("engine with a GPU: trainer got %d device requests, stderr:\n%s", granted, r.Stderr)
		}
		return
	}
	if n := strings.Count(r.Stderr, "on CPU"); n != 1 || granted != 0 {
		t.Errorf("up after a wrong detection: %d CPU notice(s), %d device request(s), want 1 and 0:\n%s", n, granted, r.Stderr)
	}
	if strings.Contains(r.Stderr, "--gpus auto") {
		t.Errorf("a hint names --gpus auto, the mode in force:\n%s", r.Stderr)
	}
	if e, ok := cache.Lookup(key, time.Now()); !ok || e.HasGPU {
		t.Errorf("the engine's refusal was not remembered: %+v", e)
	}

	// Requiring a GPU fails, and the hint names the other modes, not the one given.
	strict := p.RunEnv(env, "up", "-d", "--force-recreate", "--gpus", "all")
	if strict.Code == 0 || strings.Contains(strict.Stderr, "--gpus all to") || !strings.Contains(strict.Stderr, "--gpus auto") {
		t.Errorf("up --gpus all without GPU: exit %d, stderr:\n%s", strict.Code, strict.Stderr)
	}
}
