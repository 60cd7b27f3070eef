package gpu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFromRuntimes(t *testing.T) {
	tests := []struct {
		runtimes   []string
		known, has bool
	}{
		{[]string{"runc", "io.containerd.runc.v2", "nvidia"}, true, true},
		{[]string{"runc", "nvidia-cdi"}, true, true},
		{[]string{"runc", "io.containerd.runc.v2"}, false, false},
		{nil, false, false},
	}
	for _, tt := range tests {
		known, has := FromRuntimes(tt.runtimes)
		if known != tt.known || has != tt.has {
			t.Errorf("FromRuntimes(%v) = %v, %v; want %v, %v", tt.runtimes, known, has, tt.known, tt.has)
		}
	}
}

func TestIsNoGPUError(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{errors.New(`Error response from daemon: could not select device driver "nvidia" with capabilities: [[gpu]]`), true},
		{errors.New(`could not select device driver "cdi" with capabilities: []`), true},
		{errors.New(`could not select device driver "" with capabilities: [[gpu]]`), true},
		{fmt.Errorf("start service \"training\": %w", errors.New(`Error response from daemon: unknown or invalid runtime name: nvidia`)), true},
		{errors.New(`failed to create shim task: CDI device injection failed: unresolvable CDI devices nvidia.com/gpu=all`), true},
		{errors.New(`No such image: training:latest`), false},
		{errors.New(`Conflict. The container name "/p-training-1" is already in use`), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := IsNoGPUError(tt.err); got != tt.want {
			t.Errorf("IsNoGPUError(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestCache(t *testing.T) {
	now := time.Date(2026, 11, 23, 15, 30, 0, 0, time.UTC)
	engine := EngineKey("ABCD:EFGH", "unix:///var/run/docker.sock")
	other := EngineKey("WXYZ", "tcp://gpu-box:2376")

	c := Cache{Path: filepath.Join(t.TempDir(), "cache", "gpu.json"), TTL: time.Hour}
	if _, ok := c.Lookup(engine, now); ok {
		t.Fatal("empty cache: Lookup hit")
	}
	if err := c.Store(engine, Entry{HasGPU: false, How: "probe"}, now); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(other, Entry{HasGPU: true, How: "runtimes"}, now); err != nil {
		t.Fatal(err)
	}

	checks := []struct {
		name    string
		engine  string
		at      time.Time
		wantHit bool
		wantHas bool
	}{
		{"same engine, soon after", engine, now.Add(time.Minute), true, false},
		{"other engine keeps its own answer", other, now.Add(time.Minute), true, true},
		{"unknown engine", EngineKey("ABCD:EFGH", "tcp://elsewhere:2376"), now, false, false},
		{"expired", engine, now.Add(2 * time.Hour), false, false},
		{"clock went back", engine, now.Add(-time.Hour), false, false},
	}
	for _, ck := range checks {
		e, ok := c.Lookup(ck.engine, ck.at)
		if ok != ck.wantHit || e.HasGPU != ck.wantHas {
			t.Errorf("%s: Lookup = %+v, %v; want has=%v hit=%v", ck.name, e, ok, ck.wantHas, ck.wantHit)
		}
	}

	if err := c.Forget(engine); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Lookup(engine, now); ok {
		t.Error("Lookup hit after Forget")
	}
	if _, ok := c.Lookup(other, now); !ok {
		t.Error("Forget removed another engine")
	}
}

func TestCacheSurvivesCorruptFile(t *testing.T) {
	now := time.Now()
	path := filepath.Join(t.TempDir(), "gpu.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Cache{Path: path}
	if _, ok := c.Lookup("e", now); ok {
		t.Fatal("corrupt cache: Lookup hit")
	}
	if err := c.Store("e", Entry{HasGPU: true}, now); err != nil {
		t.Fatalf("Store over corrupt file: %v", err)
	}
	if e, ok := c.Lookup("e", now); !ok || !e.HasGPU {
		t.Errorf("Lookup after rewrite = %+v, %v", e, ok)
	}
}
