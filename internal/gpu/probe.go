package gpu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
)

// probeEntrypoint does not exist in any image: a probe container never runs anything. The engine
// picks the device driver before it looks for the executable, so the start error tells which check
// failed first.
const probeEntrypoint = "/.mlstack-gpu-probe"

// Detector answers, once per engine, whether the engine can give containers a GPU. It believes, in
// order: an nvidia runtime in Info.Runtimes, the Cache, and the engine's own answer to a probe: a
// container with a GPU request that is started but never runs (see probeEntrypoint).
type Detector struct {
	Eng   Engine
	Cache Cache

	mu     sync.Mutex
	known  bool
	has    bool
	cached bool // the answer came from the cache, not from this engine today
	how    string
	key    string
}

// NewDetector returns a detector whose cache lives in the user's cache directory
// (~/.cache/mlstack/gpu.json), or in fallbackDir when the user has none.
func NewDetector(eng Engine, fallbackDir string) *Detector {
	dir := fallbackDir
	if d, err := os.UserCacheDir(); err == nil {
		dir = filepath.Join(d, "mlstack")
	}
	return &Detector{Eng: eng, Cache: Cache{Path: filepath.Join(dir, "gpu.json")}}
}

// HasGPU reports whether the engine has a usable GPU. probeImage is a local image to probe with
// when neither the runtimes nor the cache tell (any local image does when it is empty or missing).
func (d *Detector) HasGPU(ctx context.Context, probeImage string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.fromInfo(ctx); err != nil {
		return false, err
	}
	if d.known {
		return d.has, nil
	}
	has, err := d.probe(ctx, probeImage)
	if err != nil {
		return false, err
	}
	d.set(has, "probe")
	return has, nil
}

// Prefetch asks the engine for its runtimes and looks in the cache, which answer HasGPU on most
// engines, ahead of HasGPU's first call, so a command can overlap that round trip with its other
// reads. It never probes; an error is left for HasGPU to meet and report.
func (d *Detector) Prefetch(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	_ = d.fromInfo(ctx)
}

// fromInfo settles the answer from the engine's runtimes or the cache when they tell, once; the
// caller holds d.mu. d.key is set once the engine's info is read.
func (d *Detector) fromInfo(ctx context.Context) error {
	if d.known || d.key != "" {
		return nil
	}
	info, err := d.Eng.Info(ctx)
	if err != nil {
		return fmt.Errorf("detect GPUs: engine info: %w", err)
	}
	d.key = EngineKey(info.ID, d.Eng.Addr())
	runtimes := make([]string, 0, len(info.Runtimes))
	for r := range info.Runtimes {
		runtimes = append(runtimes, r)
	}
	if known, has := FromRuntimes(runtimes); known {
		d.set(has, "runtimes")
	} else if e, ok := d.Cache.Lookup(d.key, time.Now()); ok {
		d.known, d.has, d.cached, d.how = true, e.HasGPU, true, "cached "+e.How
	}
	return nil
}

// Recheck asks the engine itself when the last answer came from the cache: a GPU set up since
// must not be refused to a command that requires one.
func (d *Detector) Recheck(ctx context.Context, probeImage string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.cached {
		return d.has, nil
	}
	has, err := d.probe(ctx, probeImage)
	if err != nil {
		return false, err
	}
	d.cached = false
	d.set(has, "probe")
	return has, nil
}

// How says where the last answer came from: "runtimes", "probe", "start", or "cached " and one of those.
func (d *Detector) How() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.how
}

// LearnNoGPU records that the engine refused a GPU at a real container start, so the next
// decision (and the next command) does not ask again.
func (d *Detector) LearnNoGPU() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.set(false, "start")
}

// set stores the answer; a cache that cannot be written only costs a probe next time.
func (d *Detector) set(has bool, how string) {
	d.known, d.has, d.how = true, has, how
	if d.key != "" {
		_ = d.Cache.Store(d.key, Entry{HasGPU: has, How: how}, time.Now())
	}
}

// probe creates a network-less container asking for one GPU, starts it and reads the answer.
func (d *Detector) probe(ctx context.Context, img string) (bool, error) {
	img, err := d.probeImage(ctx, img)
	if err != nil {
		return false, err
	}
	d.removeStaleProbes(ctx, staleProbeAge)
	cfg := &container.Config{Image: img, Entrypoint: []string{probeEntrypoint}, Labels: map[string]string{probeLabel: "1"}}
	host := &container.HostConfig{NetworkMode: "none", AutoRemove: false}
	host.DeviceRequests = []container.DeviceRequest{gpuRequest(1, nil)}
	resp, err := d.Eng.ContainerCreate(ctx, cfg, host, &network.NetworkingConfig{}, nil, "")
	if err != nil {
		return false, fmt.Errorf("detect GPUs: create probe container: %w", err)
	}
	defer d.Eng.ContainerRemove(context.WithoutCancel(ctx), resp.ID, container.RemoveOptions{Force: true})
	err = d.Eng.ContainerStart(ctx, resp.ID, container.StartOptions{})
	switch {
	case IsNoGPUError(err):
		return false, nil
	case err == nil:
		// Something ran although nothing should: the driver was found all the same.
		return true, nil
	case ctx.Err() != nil:
		return false, context.Cause(ctx)
	default:
		// Any later failure (here: the missing executable) means the device driver was selected.
		return true, nil
	}
}

// probeLabel marks GPU probe containers, so that one left by a killed mlstack can be found.
const probeLabel = "dev.mlstack.gpu-probe"

// staleProbeAge is how old a probe container must be to count as left behind: a probe in progress
// (another terminal's) takes seconds.
const staleProbeAge = time.Minute

// removeStaleProbes removes probe containers older than olderThan, which a killed probe left behind.
func (d *Detector) removeStaleProbes(ctx context.Context, olderThan time.Duration) {
	list, err := d.Eng.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", probeLabel+"=1"))})
	if err != nil {
		return
	}
	for _, c := range list {
		if time.Since(time.Unix(c.Created, 0)) >= olderThan {
			_ = d.Eng.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
		}
	}
}

// probeImage returns img when the engine has it, else the smallest local image.
func (d *Detector) probeImage(ctx context.Context, img string) (string, error) {
	if img != "" {
		if in, err := d.Eng.ImageInspect(ctx, img); err == nil {
			return in.ID, nil
		}
	}
	list, err := d.Eng.ImageList(ctx, image.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("detect GPUs: list images: %w", err)
	}
	if len(list) == 0 {
		return "", errors.New("detect GPUs: the engine has no image to probe with")
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Size < list[j].Size })
	return list[0].ID, nil
}

// Policy applies one --gpus mode to every service of a command and remembers what it decided.
type Policy struct {
	Mode     Mode
	Detector *Detector
	// Notify prints a notice for the user; it is called at most once per service.
	Notify func(msg string)
	// TrainingJob makes auto give the target the engine's GPUs even when its service reserves none
	// (and say when it runs on CPU): `train` passes GPUs through where the host has them.
	TrainingJob bool

	mu        sync.Mutex
	noticed   map[string]bool
	decisions map[string]Decision
}

// Decide returns the device requests for svc. A target (the service of `train`/`run`) gets an
// explicit mode even when it asks for no GPU; under `up`, a mode other than auto applies to the
// services that ask for GPUs. svc.Image, when local, is what the engine is probed with.
func (p *Policy) Decide(ctx context.Context, svc types.ServiceConfig, target bool) (Decision, error) {
	reqs := FromService(svc)
	asks := false
	for _, r := range reqs {
		if IsGPURequest(r) {
			asks = true
		}
	}
	mode := p.Mode
	if !target && !asks {
		mode = Mode{Kind: Auto}
	}
	if target && p.TrainingJob && mode.Kind == Auto && !asks {
		return p.autoForJob(ctx, svc, reqs)
	}
	if mode.Kind == None || (mode.Kind == Auto && !asks) {
		dec, err := Resolve(mode, reqs, false)
		return p.keep(svc.Name, dec, err)
	}
	has, err := p.Detector.HasGPU(ctx, svc.Image)
	if err == nil && !has && mode.Kind != Auto {
		has, err = p.Detector.Recheck(ctx, svc.Image)
	}
	if err != nil {
		return Decision{}, fmt.Errorf("service %q: %w", svc.Name, err)
	}
	dec, err := Resolve(mode, reqs, has)
	if err != nil {
		return Decision{}, fmt.Errorf("service %q: %w", svc.Name, err)
	}
	if UsesCDI(dec.Requests) {
		if err := CheckCDISupported(p.Detector.Eng.ClientVersion()); err != nil {
			if mode.Kind != Auto {
				return Decision{}, fmt.Errorf("service %q: %w", svc.Name, err)
			}
			dec, err = Resolve(mode, reqs, false)
			return p.keep(svc.Name, dec, err)
		}
	}
	return p.keep(svc.Name, dec, nil)
}

// autoForJob is --gpus auto for the job a command runs (train, run) when its service reserves no GPU:
// a training job gets the engine's GPUs where it has them, and runs on CPU with one notice where not,
// so a user always learns which it was.
func (p *Policy) autoForJob(ctx context.Context, svc types.ServiceConfig, reqs []container.DeviceRequest) (Decision, error) {
	has, err := p.Detector.HasGPU(ctx, svc.Image)
	if err != nil {
		return Decision{}, fmt.Errorf("service %q: %w", svc.Name, err)
	}
	if has {
		all := gpuRequest(-1, nil)
		return p.keep(svc.Name, Decision{Requests: append(reqs, all), Requested: "auto", Granted: Describe([]container.DeviceRequest{all})}, nil)
	}
	return p.keep(svc.Name, Decision{Requests: reqs, Requested: "auto", Granted: "none", Notice: fmt.Sprintf(noticeText, "")}, nil)
}

// Requests is Decide as a device decider for stack.UpOptions and stack.OneOffOptions.
func (p *Policy) Requests(target bool) func(ctx context.Context, svc types.ServiceConfig) ([]container.DeviceRequest, error) {
	return func(ctx context.Context, svc types.ServiceConfig) ([]container.DeviceRequest, error) {
		dec, err := p.Decide(ctx, svc, target)
		return dec.Requests, err
	}
}

// Retry is shown a container start that failed: when the engine refused a GPU it had seemed to have,
// auto falls back to CPU (ok true, with the requests to retry with) and other modes fail with the
// reason. Errors that are not about GPUs pass through (ok false, err nil).
func (p *Policy) Retry(_ context.Context, svc types.ServiceConfig, startErr error) ([]container.DeviceRequest, bool, error) {
	if !IsNoGPUError(startErr) {
		return nil, false, nil
	}
	p.Detector.LearnNoGPU()
	mode := p.Mode
	if mode.Kind != Auto {
		_, err := Resolve(mode, FromService(svc), false)
		return nil, false, fmt.Errorf("service %q: %w", svc.Name, err)
	}
	prev, _ := p.Decision(svc.Name)
	dec, err := Resolve(Mode{Kind: Auto}, FromService(svc), false)
	if err == nil && dec.Notice == "" && prev.Granted != "" && prev.Granted != "none" {
		// A job given the engine's GPUs without asking for any (TrainingJob) is told it runs on CPU too.
		dec.Requested, dec.Notice = prev.Requested, fmt.Sprintf(noticeText, "")
	}
	if dec, err = p.keep(svc.Name, dec, err); err != nil {
		return nil, false, err
	}
	return dec.Requests, true, nil
}

// Decision returns what was decided for service.
func (p *Policy) Decision(service string) (Decision, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.decisions[service]
	return d, ok
}

// keep remembers a decision and prints its notice the first time for the service.
func (p *Policy) keep(service string, dec Decision, err error) (Decision, error) {
	if err != nil {
		return dec, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.decisions == nil {
		p.decisions = map[string]Decision{}
		p.noticed = map[string]bool{}
	}
	p.decisions[service] = dec
	if msg := dec.NoticeFor(service); msg != "" && p.Notify != nil && !p.noticed[service] {
		p.noticed[service] = true
		p.Notify(msg)
	}
	return dec, nil
}

// EnvVar is the environment variable that sets the default --gpus mode.
const EnvVar = "MLSTACK_GPUS"

// NewPolicy returns the policy for mode (see ParseFlag) on eng, caching the engine's answer in the
// user's cache directory or, without one, in fallbackDir.
func NewPolicy(eng Engine, mode Mode, fallbackDir string, notify func(string)) *Policy {
	return &Policy{Mode: mode, Detector: NewDetector(eng, fallbackDir), Notify: notify}
}
