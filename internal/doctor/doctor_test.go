package doctor

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/system"
)

func fakeHost(specs, nodes []string) *Host {
	return &Host{
		DiskFree:      func(string) (int64, int64, error) { return 0, 0, errors.New("unused") },
		CDISpecs:      func([]string) []string { return specs },
		NvidiaDevices: func() []string { return nodes },
		PortFree:      func(string) bool { return true },
	}
}

func TestGPUCheck(t *testing.T) {
	tests := []struct {
		name     string
		runtimes []string
		specs    []string
		nodes    []string
		local    bool
		det      detection
		status   Status
		want     []string
		wantFix  bool
	}{
		{"nothing", []string{"runc"}, nil, nil, true, detection{how: "probe"}, Info,
			[]string{"no GPU", "no nvidia runtime", "no CDI specs", "no /dev/nvidia*", "--gpus auto runs GPU services on CPU"}, false},
		{"nvidia runtime", []string{"runc", "nvidia"}, nil, []string{"/dev/nvidia0"}, true, detection{has: true, how: "runtimes"}, OK,
			[]string{"GPU available", "nvidia runtime registered", "/dev/nvidia0", "gives services their reserved GPUs"}, false},
		{"CDI spec only", []string{"runc"}, []string{"/etc/cdi/nvidia.yaml"}, nil, true, detection{has: true, how: "probe"}, OK,
			[]string{"GPU available", "/etc/cdi/nvidia.yaml"}, false},
		{"devices without toolkit", []string{"runc"}, nil, []string{"/dev/nvidia0", "/dev/nvidiactl"}, true, detection{how: "cached probe"}, Warn,
			[]string{"no GPU", "/dev/nvidia0"}, true},
		{"remote engine reads no local files", []string{"runc"}, []string{"/etc/cdi/x.yaml"}, []string{"/dev/nvidia0"}, false, detection{how: "probe"}, Info,
			[]string{"no GPU"}, false},
		{"engine not asked: host facts decide", []string{"runc"}, []string{"/etc/cdi/x.yaml"}, nil, true, detection{err: errors.New("no image to probe with")}, OK,
			[]string{"GPU available", "not asked"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := system.Info{Runtimes: map[string]system.RuntimeWithStatus{}}
			for _, r := range tt.runtimes {
				info.Runtimes[r] = system.RuntimeWithStatus{}
			}
			c := gpuCheck(info, tt.local, fakeHost(tt.specs, tt.nodes), tt.det)
			if c.Status != tt.status {
				t.Errorf("status %s, want %s (%s)", c.Status, tt.status, c.Detail)
			}
			for _, w := range tt.want {
				if !strings.Contains(c.Detail, w) {
					t.Errorf("detail %q lacks %q", c.Detail, w)
				}
			}
			if (c.Fix != "") != tt.wantFix {
				t.Errorf("fix = %q", c.Fix)
			}
		})
	}
}

func TestStorageCheck(t *testing.T) {
	for driver, want := range map[string]Status{"overlay2": OK, "fuse-overlayfs": Info, "vfs": Warn, "devicemapper": Warn, "zfs": OK} {
		if got := storageCheck(driver); got.Status != want || !strings.Contains(got.Detail, driver) {
			t.Errorf("%s: %+v, want %s", driver, got, want)
		}
	}
}

func TestDiskCheck(t *testing.T) {
	h := fakeHost(nil, nil)
	h.DiskFree = func(string) (int64, int64, error) { return 2e9, 100e9, nil }
	c := diskCheck("/var/lib/docker", true, h)
	if c.Status != Warn || !strings.Contains(c.Detail, "2.0 GB free of 100.0 GB") || c.Fix == "" {
		t.Errorf("low disk: %+v", c)
	}
	h.DiskFree = func(string) (int64, int64, error) { return 50e9, 100e9, nil }
	if c := diskCheck("/var/lib/docker", true, h); c.Status != OK {
		t.Errorf("enough disk: %+v", c)
	}
	if c := diskCheck("/var/lib/docker", false, h); c.Status != Info || !strings.Contains(c.Detail, "remote") {
		t.Errorf("remote engine: %+v", c)
	}
}

func TestReport(t *testing.T) {
	r := Report{Checks: []Check{
		{Name: "engine", Status: OK, Detail: "reachable"},
		{Name: "registry", Status: Warn, Detail: "no registry", Fix: "import images"},
	}}
	if r.Blocked() {
		t.Error("warnings block")
	}
	var buf bytes.Buffer
	if err := Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	want := "ok    engine    reachable\nwarn  registry  no registry\n                fix: import images\n"
	if buf.String() != want {
		t.Errorf("Write =\n%q\nwant\n%q", buf.String(), want)
	}
	r.Checks = append(r.Checks, Check{Name: "project", Status: Fail})
	if !r.Blocked() {
		t.Error("a failed check does not block")
	}
}
