package gpu

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/enginefake"
)

var _ Engine = (*enginefake.Engine)(nil)

// counted is a fake engine whose probe containers are counted.
type counted struct {
	*enginefake.Engine
	mu      sync.Mutex
	creates int
}

func newCounted() *counted {
	c := &counted{Engine: enginefake.New()}
	c.AddImage("base")
	c.OnCall = func(call, _ string) {
		if call == "create" {
			c.mu.Lock()
			c.creates++
			c.mu.Unlock()
		}
	}
	return c
}

func (c *counted) probes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.creates
}

func TestDetectorBelievesRuntimesThenCacheThenProbe(t *testing.T) {
	ctx := context.Background()
	cache := Cache{Path: filepath.Join(t.TempDir(), "gpu.json")}

	nvidia := newCounted()
	nvidia.Runtimes = []string{"nvidia"}
	d := &Detector{Eng: nvidia, Cache: cache}
	if has, err := d.HasGPU(ctx, "base"); !has || err != nil || d.How() != "runtimes" || nvidia.probes() != 0 {
		t.Errorf("nvidia runtime: %v, %v, how %q, %d probes; want a GPU from the runtimes without a probe", has, err, d.How(), nvidia.probes())
	}

	plain := newCounted()
	d = &Detector{Eng: plain, Cache: cache}
	if has, err := d.HasGPU(ctx, "base"); has || err != nil || d.How() != "probe" || plain.probes() != 1 {
		t.Errorf("no GPU: %v, %v, how %q, %d probes; want no GPU found by one probe", has, err, d.How(), plain.probes())
	}
	if n := len(plain.Containers()); n != 0 {
		t.Errorf("the probe left %d containers", n)
	}
	if has, _ := d.HasGPU(ctx, "base"); has || plain.probes() != 1 {
		t.Errorf("asked twice: %v, %d probes; want the first answer", has, plain.probes())
	}

	again := &Detector{Eng: plain, Cache: cache}
	if has, err := again.HasGPU(ctx, "base"); has || err != nil || again.How() != "cached probe" || plain.probes() != 1 {
		t.Errorf("next command: %v, %v, how %q, %d probes; want the cached answer", has, err, again.How(), plain.probes())
	}
	// A GPU set up since: a command that requires one asks the engine again.
	plain.GPU = true
	if has, err := again.Recheck(ctx, "base"); !has || err != nil || plain.probes() != 2 {
		t.Errorf("Recheck after a GPU was added: %v, %v, %d probes; want a GPU found by a new probe", has, err, plain.probes())
	}
}

// Prefetch reads the engine's info once for HasGPU and never probes: a probe is a container, which
// only a command that needs the answer may start.
func TestDetectorPrefetchReadsInfoOnceAndNeverProbes(t *testing.T) {
	ctx := context.Background()
	plain := newCounted()
	infos := 0
	plain.OnCall = func(call, _ string) {
		plain.mu.Lock()
		defer plain.mu.Unlock()
		switch call {
		case "info":
			infos++
		case "create":
			plain.creates++
		}
	}
	d := &Detector{Eng: plain, Cache: Cache{Path: filepath.Join(t.TempDir(), "gpu.json")}}
	d.Prefetch(ctx)
	if plain.probes() != 0 || infos != 1 {
		t.Fatalf("Prefetch: %d probes, %d info calls; want none and one", plain.probes(), infos)
	}
	if has, err := d.HasGPU(ctx, "base"); has || err != nil || plain.probes() != 1 || infos != 1 {
		t.Errorf("HasGPU after Prefetch: %v, %v, %d probes, %d info calls; want no GPU by one probe and no second info call", has, err, plain.probes(), infos)
	}
}

func TestDetectorLearnsFromARefusedStart(t *testing.T) {
	eng := newCounted()
	eng.Runtimes = []string{"nvidia"}
	cache := Cache{Path: filepath.Join(t.TempDir(), "gpu.json")}
	d := &Detector{Eng: eng, Cache: cache}
	if has, _ := d.HasGPU(context.Background(), ""); !has {
		t.Fatal("the nvidia runtime should count as a GPU")
	}
	d.LearnNoGPU()
	if has, _ := d.HasGPU(context.Background(), ""); has || d.How() != "start" {
		t.Errorf("after a refused start: %v, how %q; want no GPU, learnt at start", has, d.How())
	}
}

func TestProbeImageIsTheGivenOneElseTheSmallestLocal(t *testing.T) {
	ctx := context.Background()
	eng := enginefake.New()
	d := &Detector{Eng: eng}
	if _, err := d.probeImage(ctx, ""); err == nil || !strings.Contains(err.Error(), "no image to probe with") {
		t.Errorf("no images: %v", err)
	}
	id := eng.AddImage("base")
	if got, err := d.probeImage(ctx, "missing:latest"); got != id || err != nil {
		t.Errorf("missing image: %q, %v; want the only local %s", got, err, id)
	}
	if got, _ := d.probeImage(ctx, "base"); got != id {
		t.Errorf("named image: %q, want %s", got, id)
	}
}

func TestProbeRemovesOldProbeContainersOnly(t *testing.T) {
	ctx := context.Background()
	eng := enginefake.New()
	img := eng.AddImage("base")
	resp, err := eng.ContainerCreate(ctx, &container.Config{Image: img, Labels: map[string]string{probeLabel: "1"}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := eng.ContainerCreate(ctx, &container.Config{Image: img}, nil, nil, nil, "other")
	if err != nil {
		t.Fatal(err)
	}
	(&Detector{Eng: eng}).removeStaleProbes(ctx, 0)
	if _, ok := eng.Lookup(resp.ID); ok {
		t.Error("the probe container left behind is still there")
	}
	if _, ok := eng.Lookup(other.ID); !ok {
		t.Error("a container that is not a probe was removed")
	}
}

func TestCDIRequestsOnAnOldEngine(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	eng := enginefake.New() // API 1.41: no CDI
	eng.GPU, eng.Runtimes = true, []string{"nvidia"}
	eng.AddImage("base")
	svc := types.ServiceConfig{Name: "training"}
	svc.Image = "base"
	svc.Devices = []types.DeviceMapping{{Source: "nvidia.com/gpu=0", Target: "nvidia.com/gpu=0"}}

	var notices []string
	auto := NewPolicy(eng, Mode{Kind: Auto}, t.TempDir(), func(m string) { notices = append(notices, m) })
	dec, err := auto.Decide(context.Background(), svc, true)
	if err != nil || UsesCDI(dec.Requests) || dec.Granted != "none" || len(notices) != 1 {
		t.Errorf("auto with a CDI device on API 1.41: %+v, %v, notices %q; want CPU with one notice", dec, err, notices)
	}

	mode, err := ParseFlag("nvidia.com/gpu=0")
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewPolicy(eng, mode, t.TempDir(), nil).Decide(context.Background(), svc, true)
	if err == nil || !strings.Contains(err.Error(), "need Docker Engine 25") || strings.Contains(err.Error(), "--gpus nvidia.com/gpu=0") {
		t.Errorf("--gpus with a CDI name on API 1.41: %v", err)
	}
}
