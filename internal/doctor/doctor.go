// Package doctor checks the engine, the machine and the project mlstack runs on, and says how to fix what is wrong.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/system"

	"github.com/mlstack/mlstack/internal/build"
	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/gpu"
	"github.com/mlstack/mlstack/internal/graph"
	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/ui"
)

// Status grades one check.
type Status string

// The grades a check can get; only Fail is a hard blocker.
const (
	OK   Status = "ok"
	Info Status = "info"
	Warn Status = "warn"
	Fail Status = "FAIL"
)

// Check is one line of the report.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	// Fix says what to do when the status is Warn or Fail.
	Fix string `json:"fix,omitempty"`
}

// Report is every check, in the order they ran.
type Report struct {
	Checks []Check `json:"checks"`
}

// Blocked reports whether a hard blocker (no engine, invalid project) was found.
func (r Report) Blocked() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return true
		}
	}
	return false
}

// Options say which engine and project to examine.
type Options struct {
	Engine  engine.Options
	Project project.Options
	// RegistryRef is the image whose manifest is asked for to test registry access.
	RegistryRef string
	// RegistryTimeout bounds that question.
	RegistryTimeout time.Duration
	// Host overrides what is read from the local machine (device nodes, CDI dirs, disk, ports); nil uses the real one.
	Host *Host
}

// Run runs every check. It does not fail: problems are checks with status Warn or Fail.
func Run(ctx context.Context, o Options) Report {
	if o.RegistryRef == "" {
		o.RegistryRef = "docker.io/library/hello-world:latest"
	}
	if o.RegistryTimeout == 0 {
		o.RegistryTimeout = 5 * time.Second
	}
	h := o.Host
	if h == nil {
		h = LocalHost()
	}
	r := &Report{}
	eng, err := engine.Connect(ctx, o.Engine)
	if err != nil {
		r.add(Check{Name: "engine", Status: Fail, Detail: err.Error(),
			Fix: "start dockerd (sudo systemctl start docker), or point DOCKER_HOST / --host / --context at a running engine"})
	} else {
		defer eng.Close()
		engineChecks(ctx, r, eng, o, h)
	}
	projectChecks(ctx, r, eng, o, h)
	return *r
}

func (r *Report) add(c Check) { r.Checks = append(r.Checks, c) }

// status is the grade of the check named name, or "" when it did not run.
func (r *Report) status(name string) Status {
	for _, c := range r.Checks {
		if c.Name == name {
			return c.Status
		}
	}
	return ""
}

func engineChecks(ctx context.Context, r *Report, eng *engine.Client, o Options, h *Host) {
	r.add(Check{Name: "engine", Status: OK, Detail: fmt.Sprintf("reachable at %s (%s)", eng.Host, eng.Origin)})
	v, err := eng.ServerVersion(ctx)
	if err != nil {
		r.add(Check{Name: "version", Status: Warn, Detail: "engine did not report its version: " + err.Error()})
	} else {
		r.add(Check{Name: "version", Status: OK, Detail: fmt.Sprintf("Docker Engine %s (%s/%s), Engine API %s, negotiated %s (mlstack needs %s+)",
			v.Version, v.Os, v.Arch, v.APIVersion, eng.APIVersion, engine.MinAPIVersion)})
	}
	info, err := eng.Info(ctx)
	if err != nil {
		r.add(Check{Name: "storage", Status: Warn, Detail: "engine info unavailable: " + err.Error()})
		return
	}
	r.add(storageCheck(info.Driver))
	r.add(diskCheck(info.DockerRootDir, eng.IsLocal(), h))
	// The detector up, run and train use answers; the host facts only explain it.
	det := gpu.NewDetector(eng, filepath.Join(os.TempDir(), "mlstack"))
	has, err := det.HasGPU(ctx, "")
	r.add(gpuCheck(info, eng.IsLocal(), h, detection{has: has, how: det.How(), err: err}))
	r.add(registryCheck(ctx, eng, o))
}

func storageCheck(driver string) Check {
	c := Check{Name: "storage", Status: OK, Detail: "storage driver " + driver}
	switch driver {
	case "overlay2", "btrfs", "zfs":
	case "fuse-overlayfs":
		c.Status = Info
		c.Detail += " (works; slower than overlay2, usual for rootless or nested engines)"
	case "vfs":
		c.Status = Warn
		c.Detail += ": every layer is a full copy, so builds and container creation are slow and disk fills fast"
		c.Fix = `set "storage-driver": "overlay2" in /etc/docker/daemon.json and restart dockerd (existing images must be rebuilt)`
	case "devicemapper", "aufs", "overlay":
		c.Status = Warn
		c.Detail += " is deprecated"
		c.Fix = `switch to overlay2 ("storage-driver" in /etc/docker/daemon.json)`
	}
	return c
}

// lowDiskBytes is the free space below which builds and model images start to fail.
const lowDiskBytes = 5 * 1000 * 1000 * 1000

func diskCheck(root string, local bool, h *Host) Check {
	c := Check{Name: "disk", Status: OK}
	if !local {
		c.Status = Info
		c.Detail = fmt.Sprintf("images live in %s on the remote engine host; free space not checked from here", root)
		return c
	}
	free, total, err := h.DiskFree(root)
	if err != nil {
		c.Status = Info
		c.Detail = fmt.Sprintf("images live in %s; free space unknown (%v)", root, err)
		return c
	}
	c.Detail = fmt.Sprintf("%s free of %s where images live (%s)", build.HumanBytes(free), build.HumanBytes(total), root)
	if free < lowDiskBytes {
		c.Status = Warn
		c.Fix = "free space: `docker image prune` removes dangling images, `docker builder prune` the build cache, `mlstack down --rmi local` a project's images"
	}
	return c
}

// detection is the GPU detector's answer for the engine.
type detection struct {
	has bool
	how string
	err error
}

func gpuCheck(info system.Info, local bool, h *Host, det detection) Check {
	var runtimes []string
	for name := range info.Runtimes {
		runtimes = append(runtimes, name)
	}
	sort.Strings(runtimes)
	_, hasRuntime := gpu.FromRuntimes(runtimes)

	var facts []string
	if hasRuntime {
		facts = append(facts, "nvidia runtime registered")
	} else {
		facts = append(facts, "no nvidia runtime (runtimes: "+strings.Join(runtimes, ", ")+")")
	}
	var specs, nodes []string
	if local {
		dirs := info.CDISpecDirs
		if len(dirs) == 0 {
			dirs = []string{"/etc/cdi", "/var/run/cdi"}
		}
		specs = h.CDISpecs(dirs)
		if len(specs) > 0 {
			facts = append(facts, "CDI specs: "+strings.Join(specs, ", "))
		} else {
			facts = append(facts, "no CDI specs in "+strings.Join(dirs, ", "))
		}
		nodes = h.NvidiaDevices()
		if len(nodes) > 0 {
			facts = append(facts, "devices: "+strings.Join(nodes, ", "))
		} else {
			facts = append(facts, "no /dev/nvidia* devices")
		}
	}
	has := det.has
	if det.err != nil {
		// No answer from the engine (e.g. no image to probe with): the host's facts are all there is.
		has = hasRuntime || len(specs) > 0
		facts = append(facts, "the engine was not asked ("+det.err.Error()+")")
	} else {
		facts = append(facts, "detector: "+det.how)
	}
	// What --gpus auto does with a service reserving a GPU, from the same policy up and train use.
	d, _ := gpu.Resolve(gpu.Mode{Kind: gpu.Auto}, []container.DeviceRequest{{Driver: "nvidia", Count: -1, Capabilities: [][]string{{"gpu"}}}}, has)
	c := Check{Name: "gpu", Status: Info}
	if d.Granted != "none" {
		c.Status = OK
		c.Detail = "GPU available: " + strings.Join(facts, "; ") + ". --gpus auto gives services their reserved GPUs"
		return c
	}
	c.Detail = "no GPU: " + strings.Join(facts, "; ") + ". --gpus auto runs GPU services on CPU with a notice; --gpus all fails"
	if len(nodes) > 0 {
		c.Status = Warn
		c.Fix = "the host has NVIDIA devices but the engine cannot use them: install nvidia-container-toolkit, run `sudo nvidia-ctk runtime configure --runtime=docker`, restart dockerd"
	}
	return c
}

func registryCheck(ctx context.Context, eng *engine.Client, o Options) Check {
	ctx, cancel := context.WithTimeout(ctx, o.RegistryTimeout)
	defer cancel()
	// The manifest question reaches the registry like a pull would, without downloading anything.
	_, err := eng.DistributionInspect(ctx, o.RegistryRef, "")
	if err == nil {
		return Check{Name: "registry", Status: OK, Detail: "images can be pulled (" + o.RegistryRef + " answered)"}
	}
	msg := err.Error()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		msg = fmt.Sprintf("no answer within %s", o.RegistryTimeout)
	}
	return Check{Name: "registry", Status: Warn,
		Detail: "no registry: images must be built or imported locally (" + firstLine(msg) + ")",
		Fix:    "services with build: are built by `mlstack up`/`mlstack build`; bring other images with `docker load` or `docker import`"}
}

func projectChecks(ctx context.Context, r *Report, eng *engine.Client, o Options, h *Host) {
	p, err := project.Load(ctx, o.Project)
	if err != nil {
		if project.IsNoFile(err) {
			r.add(Check{Name: "project", Status: Info, Detail: "no compose file here: project checks skipped"})
			return
		}
		r.add(Check{Name: "project", Status: Fail, Detail: err.Error(), Fix: "fix the compose file; `mlstack config` shows the project as mlstack reads it"})
		return
	}
	if _, err := graph.New(p.Services); err != nil {
		r.add(Check{Name: "project", Status: Fail, Detail: fmt.Sprintf("%s: %v", p.RelFiles(), err), Fix: "break the depends_on cycle"})
		return
	}
	if err := graph.Validate(p.Services); err != nil {
		r.add(Check{Name: "project", Status: Fail, Detail: fmt.Sprintf("%s: %v", p.RelFiles(), err), Fix: "add a healthcheck or use condition: service_started"})
		return
	}
	detail := fmt.Sprintf("project %q (%s): %d services", p.Name, p.RelFiles(), len(p.Services))
	if len(p.ActiveProfiles) > 0 {
		detail += ", profiles " + strings.Join(p.ActiveProfiles, ", ")
	}
	r.add(Check{Name: "project", Status: OK, Detail: detail})
	if eng == nil {
		return
	}
	r.add(engineImages(ctx, eng, p, r.status("registry") == OK))
	r.add(portsCheck(ctx, eng, p, h))
}

// portsCheck reports published host ports that something other than this project holds.
func portsCheck(ctx context.Context, eng *engine.Client, p *project.Project, h *Host) Check {
	c := Check{Name: "ports", Status: OK}
	if !eng.IsLocal() {
		c.Status = Info
		c.Detail = "engine is remote: published ports not checked"
		return c
	}
	ours := map[string]bool{}
	cs, err := eng.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", labels.ProjectFilter(p.Name)))})
	if err == nil {
		for _, ct := range cs {
			for _, pt := range ct.Ports {
				if pt.PublicPort != 0 {
					ours[fmt.Sprintf("%d/%s", pt.PublicPort, pt.Type)] = true
				}
			}
		}
	}
	var checked int
	var taken []string
	for _, n := range p.ServiceNames() {
		for _, pc := range p.Services[n].Ports {
			if !checkablePort(pc) {
				continue
			}
			checked++
			if ours[pc.Published+"/tcp"] {
				continue
			}
			ip := pc.HostIP
			if ip == "" {
				ip = "0.0.0.0"
			}
			addr := net.JoinHostPort(ip, pc.Published)
			if !h.PortFree(addr) {
				taken = append(taken, fmt.Sprintf("%s (service %s)", addr, n))
			}
		}
	}
	switch {
	case len(taken) > 0:
		c.Status = Warn
		c.Detail = "already in use: " + strings.Join(taken, ", ")
		c.Fix = "stop what holds them (`ss -ltnp` shows it) or publish other ports"
	case checked == 0:
		c.Detail = "the project publishes no fixed host port"
	default:
		c.Detail = fmt.Sprintf("%d published port(s) free or held by this project", checked)
	}
	return c
}

func checkablePort(pc types.ServicePortConfig) bool {
	proto := pc.Protocol
	return pc.Published != "" && !strings.Contains(pc.Published, "-") && (proto == "" || proto == "tcp")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// Write prints one line per check, with its fix indented below when there is one.
func Write(w io.Writer, r Report) error {
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.Name))
	}
	for _, c := range r.Checks {
		if _, err := fmt.Fprintf(w, "%-4s  %-*s  %s\n", c.Status, width, c.Name, c.Detail); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		// A fix of several lines (one per missing image) lines up under the first.
		for i, line := range strings.Split(c.Fix, "\n") {
			if c.Fix == "" {
				break
			}
			label := "fix:"
			if i > 0 {
				label = "    "
			}
			if _, err := fmt.Fprintf(w, "      %-*s  %s %s\n", width, "", label, line); err != nil {
				return fmt.Errorf("write report: %w", err)
			}
		}
	}
	return nil
}

// WriteJSON prints the report as JSON.
func WriteJSON(w io.Writer, r Report) error {
	return ui.WriteJSON(w, r)
}

// Host is what doctor reads from the machine the engine runs on (when it is local).
type Host struct {
	// DiskFree returns free and total bytes of the filesystem holding path.
	DiskFree func(path string) (free, total int64, err error)
	// CDISpecs lists the CDI spec files in dirs.
	CDISpecs func(dirs []string) []string
	// NvidiaDevices lists /dev/nvidia* device nodes.
	NvidiaDevices func() []string
	// PortFree reports whether a TCP listener can bind addr.
	PortFree func(addr string) bool
}

// LocalHost reads the real machine.
func LocalHost() *Host {
	return &Host{
		DiskFree: diskFree,
		CDISpecs: func(dirs []string) []string {
			var out []string
			for _, d := range dirs {
				for _, pat := range []string{"*.yaml", "*.yml", "*.json"} {
					m, _ := filepath.Glob(filepath.Join(d, pat))
					out = append(out, m...)
				}
			}
			return out
		},
		NvidiaDevices: func() []string {
			m, _ := filepath.Glob("/dev/nvidia[0-9]*")
			if _, err := os.Stat("/dev/nvidiactl"); err == nil {
				m = append(m, "/dev/nvidiactl")
			}
			return m
		},
		PortFree: func(addr string) bool {
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return false
			}
			l.Close()
			return true
		},
	}
}
