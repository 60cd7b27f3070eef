// Package enginefake is an in-memory Docker engine for unit tests of the use cases: containers with
// restart policies and health states, networks, volumes, images and an event stream, driven by the
// same calls as the real engine and by test-side faults (crash, stop, kill, remove by hand).
package enginefake

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/labels"
)

// Behavior is what a container's program does once started, chosen per service.
type Behavior struct {
	// Exit, when set, makes the program exit with this code right after it starts; ExitRuns limits
	// that to the first N starts (0: every start).
	Exit     *int
	ExitRuns int
	// Health is the engine's health status reported after start ("healthy" or "unhealthy"); empty
	// leaves a container with a healthcheck "starting" until SetHealth.
	Health string
	// ProbeExit is the exit code of an exec in the container (mlstack's early health probe).
	ProbeExit int
	// StartErr makes ContainerStart fail with this message.
	StartErr string
	// Logs are the container's output lines.
	Logs []string
}

// Container is one fake container.
type Container struct {
	ID, Name string
	// ImageID is the ID of the image Config.Image named at create, which inspect reports as the engine does.
	ImageID    string
	Config     *container.Config
	Host       *container.HostConfig
	Networks   map[string]*network.EndpointSettings
	State      container.ContainerState
	ExitCode   int
	Health     string
	Restarts   int
	StartedAt  time.Time
	FinishedAt time.Time
	// manual is the engine's "stopped by the user" flag: no restart policy applies after it.
	manual  bool
	starts  int
	exited  chan struct{}
	created time.Time
}

// Engine is the fake engine. Its zero value is not usable; call New.
type Engine struct {
	id         string // the engine's ID (system info), its own per fake
	mu         sync.Mutex
	clock      time.Time
	containers map[string]*Container
	networks   map[string]*network.Inspect
	volumes    map[string]*volume.Volume
	images     map[string]image.InspectResponse
	registry   map[string]image.InspectResponse
	execs      map[string]string // exec ID → container ID
	behaviors  map[string]Behavior
	subs       map[*subscriber]bool

	// Version is the API version the fake reports.
	Version string
	// Local is what IsLocal reports.
	Local bool
	// GPU says the engine can give containers GPUs; without it a container with device requests
	// fails to start as Engine 20.10 without the NVIDIA toolkit does.
	GPU bool
	// Runtimes are the OCI runtimes Info reports besides runc (an "nvidia" one marks a GPU host).
	Runtimes []string
	// OnCall, when set, is called before every API call with its name and target (a fault injector
	// acts here); it runs without the fake's lock held.
	OnCall func(call, target string)
	// AfterList, when set, runs after ContainerList has read its answer and before it returns, so a
	// test can change the engine between the list's reading and its use (a list that lags events).
	AfterList func()
}

type subscriber struct {
	ch     chan events.Message
	labels []string
}

// New returns an empty fake engine speaking API 1.41.
func New() *Engine {
	return &Engine{
		id:         newID(),
		clock:      time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		containers: map[string]*Container{},
		networks:   map[string]*network.Inspect{},
		volumes:    map[string]*volume.Volume{},
		images:     map[string]image.InspectResponse{},
		registry:   map[string]image.InspectResponse{},
		execs:      map[string]string{},
		behaviors:  map[string]Behavior{},
		subs:       map[*subscriber]bool{},
		Version:    engine.MinAPIVersion,
		Local:      true,
	}
}

type notFoundError struct{ msg string }

func (e notFoundError) Error() string { return e.msg }
func (notFoundError) NotFound()       {}

type conflictError struct{ msg string }

func (e conflictError) Error() string { return e.msg }
func (conflictError) Conflict()       {}

func newID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// tick advances the fake's clock: every change gets its own, later, time.
func (e *Engine) tick() time.Time {
	e.clock = e.clock.Add(time.Millisecond)
	return e.clock
}

func (e *Engine) call(name, target string) {
	if e.OnCall != nil {
		e.OnCall(name, target)
	}
}

// AddImage makes an image known by ref and returns its ID.
func (e *Engine) AddImage(ref string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := "sha256:" + newID()
	e.images[ref] = image.InspectResponse{ID: id, RepoTags: []string{ref}}
	return id
}

// SetBehavior sets what the program of a service's containers does from their next start on.
func (e *Engine) SetBehavior(service string, b Behavior) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.behaviors[service] = b
}

// Containers returns copies of every container, sorted by name.
func (e *Engine) Containers() []Container {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Container
	for _, c := range e.containers {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Container) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Lookup returns a copy of the container with this ID or name.
func (e *Engine) Lookup(ref string) (Container, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.findLocked(ref)
	if err != nil {
		return Container{}, false
	}
	return *c, true
}

// NetworkNames and VolumeNames list what exists.
func (e *Engine) NetworkNames() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, n := range e.networks {
		out = append(out, n.Name)
	}
	slices.Sort(out)
	return out
}

// VolumeNames lists the volumes that exist.
func (e *Engine) VolumeNames() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Sorted(maps.Keys(e.volumes))
}

// Crash makes a running container's program exit with code on its own: its restart policy applies.
func (e *Engine) Crash(ref string, code int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.findLocked(ref)
	if err != nil {
		return err
	}
	if c.State == container.StateRunning {
		e.dieLocked(c, code, false)
	}
	return nil
}

// SetHealth sets a running container's health status and emits the engine's health_status event.
func (e *Engine) SetHealth(ref, status string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.findLocked(ref)
	if err != nil {
		return err
	}
	if c.State == container.StateRunning {
		c.Health = status
		e.emitLocked(c, events.Action("health_status: "+status), nil)
	}
	return nil
}

// Emit injects an event as the engine would send it.
func (e *Engine) Emit(m events.Message) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sendLocked(m)
}

func (e *Engine) findLocked(ref string) (*Container, error) {
	if c, ok := e.containers[ref]; ok {
		return c, nil
	}
	for _, c := range e.containers {
		if c.Name == strings.TrimPrefix(ref, "/") || (len(ref) >= 12 && strings.HasPrefix(c.ID, ref)) {
			return c, nil
		}
	}
	return nil, notFoundError{fmt.Sprintf("Error response from daemon: No such container: %s", ref)}
}

func (e *Engine) emitLocked(c *Container, action events.Action, extra map[string]string) {
	attrs := map[string]string{"name": c.Name, "image": c.Config.Image}
	for k, v := range c.Config.Labels {
		attrs[k] = v
	}
	for k, v := range extra {
		attrs[k] = v
	}
	t := e.tick()
	e.sendLocked(events.Message{Type: events.ContainerEventType, Action: action, Actor: events.Actor{ID: c.ID, Attributes: attrs}, Time: t.Unix(), TimeNano: t.UnixNano()})
}

func (e *Engine) sendLocked(m events.Message) {
	for s := range e.subs {
		if !matchLabels(s.labels, m.Actor.Attributes) {
			continue
		}
		select {
		case s.ch <- m:
		default:
			panic("enginefake: a subscriber stopped reading events")
		}
	}
}

func matchLabels(want []string, have map[string]string) bool {
	for _, l := range want {
		k, v, hasV := strings.Cut(l, "=")
		got, ok := have[k]
		if !ok || (hasV && got != v) {
			return false
		}
	}
	return true
}

// ClientVersion implements stack.Engine.
func (e *Engine) ClientVersion() string { return e.Version }

// Addr is the fake's own address, one per fake.
func (e *Engine) Addr() string { return "fake://" + e.id[:12] }

// Info reports the fake's engine ID, one per fake.
func (e *Engine) Info(ctx context.Context) (system.Info, error) {
	e.call("info", "")
	rts := map[string]system.RuntimeWithStatus{"runc": {}}
	for _, r := range e.Runtimes {
		rts[r] = system.RuntimeWithStatus{}
	}
	return system.Info{ID: e.id, Name: "enginefake", ServerVersion: "fake", Runtimes: rts}, nil
}

// ServerVersion reports the fake as engine version "fake" speaking the API it negotiated.
func (e *Engine) ServerVersion(ctx context.Context) (types.Version, error) {
	e.call("version", "")
	return types.Version{Version: "fake", APIVersion: e.Version}, nil
}

// IsLocal implements stack.Engine.
func (e *Engine) IsLocal() bool { return e.Local }

// ContainerEvents subscribes to container events matching the label filters.
func (e *Engine) ContainerEvents(ctx context.Context, labelFilters ...string) (<-chan events.Message, <-chan error) {
	e.call("events", "")
	s := &subscriber{ch: make(chan events.Message, 1<<14), labels: labelFilters}
	e.mu.Lock()
	e.subs[s] = true
	e.mu.Unlock()
	errs := make(chan error, 1)
	go func() {
		<-ctx.Done()
		e.mu.Lock()
		delete(e.subs, s)
		e.mu.Unlock()
		errs <- ctx.Err()
	}()
	return s.ch, errs
}

// ContainerList lists containers matching the options' label and name filters.
func (e *Engine) ContainerList(ctx context.Context, o container.ListOptions) ([]container.Summary, error) {
	e.call("list", "")
	e.mu.Lock()
	var out []container.Summary
	for _, c := range e.containers {
		if !o.All && c.State != container.StateRunning {
			continue
		}
		if !matchFilters(o.Filters, c.Name, c.Config.Labels) {
			continue
		}
		out = append(out, e.summaryLocked(c))
	}
	e.mu.Unlock()
	slices.SortFunc(out, func(a, b container.Summary) int { return strings.Compare(a.Names[0], b.Names[0]) })
	if e.AfterList != nil {
		e.AfterList()
	}
	return out, nil
}

func matchFilters(f filters.Args, name string, lbls map[string]string) bool {
	if !matchLabels(f.Get("label"), lbls) {
		return false
	}
	for _, n := range f.Get("name") {
		if !strings.Contains(name, strings.TrimPrefix(n, "/")) {
			return false
		}
	}
	return true
}

func (e *Engine) summaryLocked(c *Container) container.Summary {
	status := "Created"
	switch c.State {
	case container.StateRunning:
		status = "Up 1 second"
		if c.Health != "" {
			h := c.Health
			if h == "starting" {
				h = "health: starting"
			}
			status += " (" + h + ")"
		}
	case container.StateExited:
		status = fmt.Sprintf("Exited (%d) 1 second ago", c.ExitCode)
	case container.StateRestarting:
		status = fmt.Sprintf("Restarting (%d) 1 second ago", c.ExitCode)
	}
	nets := map[string]*network.EndpointSettings{}
	for k, v := range c.Networks {
		nets[k] = v
	}
	return container.Summary{
		ID: c.ID, Names: []string{"/" + c.Name}, Image: c.Config.Image, ImageID: c.ImageID,
		Labels: c.Config.Labels, State: c.State, Status: status, Created: c.created.Unix(),
		NetworkSettings: &container.NetworkSettingsSummary{Networks: nets},
	}
}

// ContainerInspect returns a container's full state.
func (e *Engine) ContainerInspect(ctx context.Context, ref string) (container.InspectResponse, error) {
	e.call("inspect", ref)
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.findLocked(ref)
	if err != nil {
		return container.InspectResponse{}, err
	}
	st := &container.State{
		// As the engine: a container in its restart back-off is reported running and restarting.
		Status: c.State, Running: c.State == container.StateRunning || c.State == container.StateRestarting, Restarting: c.State == container.StateRestarting,
		ExitCode: c.ExitCode, StartedAt: "0001-01-01T00:00:00Z", FinishedAt: "0001-01-01T00:00:00Z",
	}
	if !c.StartedAt.IsZero() {
		st.StartedAt = c.StartedAt.Format(time.RFC3339Nano)
	}
	if !c.FinishedAt.IsZero() {
		st.FinishedAt = c.FinishedAt.Format(time.RFC3339Nano)
	}
	if c.Health != "" {
		st.Health = &container.Health{Status: container.HealthStatus(c.Health)}
	}
	nets := map[string]*network.EndpointSettings{}
	for k, v := range c.Networks {
		nets[k] = v
	}
	return container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{ID: c.ID, Name: "/" + c.Name, State: st, Image: c.ImageID, RestartCount: c.Restarts, HostConfig: c.Host, Created: c.created.Format(time.RFC3339Nano)},
		Config:            c.Config,
		NetworkSettings:   &container.NetworkSettings{Networks: nets},
	}, nil
}

// ContainerCreate creates a container; a taken name is the engine's conflict.
func (e *Engine) ContainerCreate(ctx context.Context, cfg *container.Config, host *container.HostConfig, nc *network.NetworkingConfig, _ *ocispec.Platform, name string) (container.CreateResponse, error) {
	e.call("create", name)
	e.mu.Lock()
	defer e.mu.Unlock()
	imageID := cfg.Image
	if im, ok := e.images[cfg.Image]; ok {
		imageID = im.ID
	} else if !e.imageIDLocked(cfg.Image) {
		return container.CreateResponse{}, notFoundError{"No such image: " + cfg.Image}
	}
	id := newID()
	if name == "" {
		name = "fake_" + id[:8]
	}
	if other, err := e.findLocked(name); err == nil && other.Name == name {
		return container.CreateResponse{}, conflictError{fmt.Sprintf(`Conflict. The container name "/%s" is already in use by container "%s". You have to remove (or rename) that container to be able to reuse that name.`, name, other.ID)}
	}
	if host == nil {
		host = &container.HostConfig{}
	}
	cp := *cfg
	if cp.Labels == nil {
		cp.Labels = map[string]string{}
	}
	c := &Container{ID: id, Name: name, ImageID: imageID, Config: &cp, Host: host, Networks: map[string]*network.EndpointSettings{}, State: container.StateCreated, created: e.tick()}
	if nc != nil {
		for k, v := range nc.EndpointsConfig {
			c.Networks[k] = v
		}
	}
	for _, v := range host.Mounts {
		if v.Type == "volume" && v.Source != "" {
			if _, ok := e.volumes[v.Source]; !ok {
				e.volumes[v.Source] = &volume.Volume{Name: v.Source, Labels: map[string]string{}}
			}
		}
	}
	e.containers[id] = c
	e.emitLocked(c, events.ActionCreate, nil)
	return container.CreateResponse{ID: id}, nil
}

func (e *Engine) imageIDLocked(id string) bool {
	for _, im := range e.images {
		if im.ID == id {
			return true
		}
	}
	return false
}

// ContainerStart starts a container and runs its service's Behavior.
func (e *Engine) ContainerStart(ctx context.Context, ref string, _ container.StartOptions) error {
	e.call("start", ref)
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.findLocked(ref)
	if err != nil {
		return err
	}
	b := e.behaviors[c.Config.Labels[labels.Service]]
	if b.StartErr != "" {
		return fmt.Errorf("Error response from daemon: %s", b.StartErr)
	}
	if reqs := c.Host.DeviceRequests; len(reqs) > 0 && !e.GPU {
		return fmt.Errorf("Error response from daemon: could not select device driver %q with capabilities: %v", reqs[0].Driver, reqs[0].Capabilities)
	}
	if c.State == container.StateRunning {
		return nil
	}
	c.manual = false
	e.startLocked(c)
	return nil
}

func (e *Engine) startLocked(c *Container) {
	b := e.behaviors[c.Config.Labels[labels.Service]]
	c.State, c.StartedAt, c.Health = container.StateRunning, e.tick(), ""
	c.exited = make(chan struct{})
	c.starts++
	if hc := c.Config.Healthcheck; hc != nil && len(hc.Test) > 0 && hc.Test[0] != "NONE" {
		c.Health = "starting"
	}
	e.emitLocked(c, events.ActionStart, nil)
	if b.Exit != nil && (b.ExitRuns == 0 || c.starts <= b.ExitRuns) {
		e.dieLocked(c, *b.Exit, false)
		return
	}
	if c.Health != "" && b.Health != "" {
		c.Health = b.Health
		e.emitLocked(c, events.Action("health_status: "+b.Health), nil)
	}
}

// dieLocked ends a container's program; manual is the user's stop, kill or remove, after which the
// engine applies no restart policy.
func (e *Engine) dieLocked(c *Container, code int, manual bool) {
	c.ExitCode, c.FinishedAt = code, e.tick()
	c.manual = c.manual || manual
	restart := !c.manual && willRestart(c.Host.RestartPolicy, code, c.Restarts)
	if restart {
		c.State = container.StateRestarting
	} else {
		c.State = container.StateExited
	}
	close(c.exited)
	e.emitLocked(c, events.ActionDie, map[string]string{"exitCode": strconv.Itoa(code)})
	if restart {
		// The engine restarts after a back-off; the restart is its own later step.
		go func() {
			time.Sleep(time.Millisecond)
			e.mu.Lock()
			defer e.mu.Unlock()
			if cur, ok := e.containers[c.ID]; ok && cur == c && c.State == container.StateRestarting {
				c.Restarts++
				e.startLocked(c)
			}
		}()
	}
}

func willRestart(p container.RestartPolicy, code, restarts int) bool {
	switch p.Name {
	case container.RestartPolicyAlways, container.RestartPolicyUnlessStopped:
		return true
	case container.RestartPolicyOnFailure:
		return code != 0 && (p.MaximumRetryCount == 0 || restarts < p.MaximumRetryCount)
	}
	return false
}

// ContainerStop stops a container as `docker stop` does: kill (SIGTERM), die, stop.
func (e *Engine) ContainerStop(ctx context.Context, ref string, _ container.StopOptions) error {
	e.call("stop", ref)
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.findLocked(ref)
	if err != nil {
		return err
	}
	c.manual = true
	if c.State == container.StateRunning {
		e.emitLocked(c, events.ActionKill, map[string]string{"signal": "15"})
		e.dieLocked(c, 143, true)
	} else if c.State == container.StateRestarting {
		c.State = container.StateExited
	}
	e.emitLocked(c, events.ActionStop, nil)
	return nil
}

// ContainerKill kills a container as `docker kill` does.
func (e *Engine) ContainerKill(ctx context.Context, ref, signal string) error {
	e.call("kill", ref)
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.findLocked(ref)
	if err != nil {
		return err
	}
	if c.State != container.StateRunning {
		return conflictError{fmt.Sprintf("Cannot kill container: %s: container %s is not running", ref, c.ID)}
	}
	e.emitLocked(c, events.ActionKill, map[string]string{"signal": signal})
	e.dieLocked(c, 137, true)
	return nil
}

// ContainerRestart stops and starts a container.
func (e *Engine) ContainerRestart(ctx context.Context, ref string, o container.StopOptions) error {
	if err := e.ContainerStop(ctx, ref, o); err != nil {
		return err
	}
	return e.ContainerStart(ctx, ref, container.StartOptions{})
}

// ContainerRemove removes a container (Force: a running one too), emitting destroy.
func (e *Engine) ContainerRemove(ctx context.Context, ref string, o container.RemoveOptions) error {
	e.call("remove", ref)
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.findLocked(ref)
	if err != nil {
		return err
	}
	if c.State == container.StateRunning {
		if !o.Force {
			return conflictError{fmt.Sprintf("You cannot remove a running container %s. Stop the container before attempting removal or force remove", c.ID)}
		}
		e.emitLocked(c, events.ActionKill, map[string]string{"signal": "9"})
		e.dieLocked(c, 137, true)
	}
	c.manual = true
	delete(e.containers, c.ID)
	e.emitLocked(c, events.ActionDestroy, nil)
	return nil
}

// ContainerWait waits for a container to stop running (the only condition the use cases wait on).
func (e *Engine) ContainerWait(ctx context.Context, ref string, _ container.WaitCondition) (<-chan container.WaitResponse, <-chan error) {
	e.call("wait", ref)
	res, errs := make(chan container.WaitResponse, 1), make(chan error, 1)
	e.mu.Lock()
	c, err := e.findLocked(ref)
	if err != nil {
		e.mu.Unlock()
		errs <- err
		return res, errs
	}
	exited := c.exited
	running := c.State == container.StateRunning
	e.mu.Unlock()
	go func() {
		if running {
			select {
			case <-exited:
			case <-ctx.Done():
				errs <- ctx.Err()
				return
			}
		}
		e.mu.Lock()
		code := c.ExitCode
		e.mu.Unlock()
		res <- container.WaitResponse{StatusCode: int64(code)}
	}()
	return res, errs
}

// ContainerTop lists one process per running container.
func (e *Engine) ContainerTop(ctx context.Context, ref string, _ []string) (container.TopResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.findLocked(ref)
	if err != nil {
		return container.TopResponse{}, err
	}
	return container.TopResponse{Titles: []string{"PID", "CMD"}, Processes: [][]string{{"1", strings.Join(c.Config.Cmd, " ")}}}, nil
}

// ContainerExecCreate creates an exec in a running container.
func (e *Engine) ContainerExecCreate(ctx context.Context, ref string, _ container.ExecOptions) (container.ExecCreateResponse, error) {
	e.call("exec", ref)
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.findLocked(ref)
	if err != nil {
		return container.ExecCreateResponse{}, err
	}
	if c.State != container.StateRunning {
		return container.ExecCreateResponse{}, conflictError{fmt.Sprintf("container %s is not running", c.ID)}
	}
	id := newID()
	e.execs[id] = c.ID
	return container.ExecCreateResponse{ID: id}, nil
}

// ContainerExecStart starts an exec; the fake's execs finish at once.
func (e *Engine) ContainerExecStart(ctx context.Context, execID string, _ container.ExecStartOptions) error {
	return nil
}

// ContainerExecAttach returns an exec's output stream, empty.
func (e *Engine) ContainerExecAttach(ctx context.Context, execID string, _ container.ExecAttachOptions) (types.HijackedResponse, error) {
	a, b := net.Pipe()
	b.Close()
	return types.NewHijackedResponse(a, ""), nil
}

// ContainerExecInspect returns an exec's exit code: the service's Behavior.ProbeExit.
func (e *Engine) ContainerExecInspect(ctx context.Context, execID string) (container.ExecInspect, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.containers[e.execs[execID]]
	if !ok {
		return container.ExecInspect{}, notFoundError{"No such exec instance: " + execID}
	}
	return container.ExecInspect{ExecID: execID, ContainerID: c.ID, ExitCode: e.behaviors[c.Config.Labels[labels.Service]].ProbeExit}, nil
}

// StartExec starts an exec through internal/engine's helper, over the fake's exec calls.
func (e *Engine) StartExec(ctx context.Context, ref string, o engine.ExecOptions) (*engine.Exec, error) {
	return engine.StartExecOn(ctx, e, ref, o)
}

// Exec runs an exec to its end through internal/engine's helper; its exit code is the service's
// Behavior.ProbeExit.
func (e *Engine) Exec(ctx context.Context, ref string, o engine.ExecOptions, stdout, stderr io.Writer) (int, error) {
	return engine.ExecOn(ctx, e, ref, o, stdout, stderr)
}

// ContainerExecResize does nothing.
func (e *Engine) ContainerExecResize(ctx context.Context, execID string, _ container.ResizeOptions) error {
	return nil
}

// ImageInspect finds an image by reference or ID.
func (e *Engine) ImageInspect(ctx context.Context, ref string, _ ...engine.ImageInspectOption) (image.InspectResponse, error) {
	e.call("image", ref)
	e.mu.Lock()
	defer e.mu.Unlock()
	if im, ok := e.images[ref]; ok {
		return im, nil
	}
	for _, im := range e.images {
		if im.ID == ref {
			return im, nil
		}
	}
	return image.InspectResponse{}, notFoundError{"No such image: " + ref}
}

// ImageRemove forgets an image.
func (e *Engine) ImageRemove(ctx context.Context, ref string, _ image.RemoveOptions) ([]image.DeleteResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, im := range e.images {
		if k == ref || im.ID == ref {
			delete(e.images, k)
			return []image.DeleteResponse{{Deleted: im.ID}}, nil
		}
	}
	return nil, notFoundError{"No such image: " + ref}
}

// NetworkCreate creates a network; a taken name is a conflict.
func (e *Engine) NetworkCreate(ctx context.Context, name string, o network.CreateOptions) (network.CreateResponse, error) {
	e.call("network-create", name)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, n := range e.networks {
		if n.Name == name {
			return network.CreateResponse{}, conflictError{fmt.Sprintf("network with name %s already exists", name)}
		}
	}
	id := newID()
	lbls := map[string]string{}
	for k, v := range o.Labels {
		lbls[k] = v
	}
	e.networks[id] = &network.Inspect{Name: name, ID: id, Driver: o.Driver, Labels: lbls, Created: e.tick()}
	return network.CreateResponse{ID: id}, nil
}

// AddNetwork creates a network directly (as a user or another tool would) and returns its ID.
func (e *Engine) AddNetwork(name string, lbls map[string]string) string {
	resp, err := e.NetworkCreate(context.Background(), name, network.CreateOptions{Labels: lbls})
	if err != nil {
		panic(err)
	}
	return resp.ID
}

func (e *Engine) findNetworkLocked(ref string) (*network.Inspect, error) {
	if n, ok := e.networks[ref]; ok {
		return n, nil
	}
	for _, n := range e.networks {
		if n.Name == ref {
			return n, nil
		}
	}
	return nil, notFoundError{"network " + ref + " not found"}
}

// NetworkInspect finds a network by name or ID.
func (e *Engine) NetworkInspect(ctx context.Context, ref string, _ network.InspectOptions) (network.Inspect, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n, err := e.findNetworkLocked(ref)
	if err != nil {
		return network.Inspect{}, err
	}
	return *n, nil
}

// NetworkList lists networks matching label filters.
func (e *Engine) NetworkList(ctx context.Context, o network.ListOptions) ([]network.Summary, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []network.Summary
	for _, n := range e.networks {
		if matchFilters(o.Filters, n.Name, n.Labels) {
			out = append(out, *n)
		}
	}
	return out, nil
}

// NetworkRemove removes a network no container is attached to, else fails as Docker does.
func (e *Engine) NetworkRemove(ctx context.Context, ref string) error {
	e.call("network-remove", ref)
	e.mu.Lock()
	defer e.mu.Unlock()
	n, err := e.findNetworkLocked(ref)
	if err != nil {
		return err
	}
	for _, c := range e.containers {
		if _, ok := c.Networks[n.Name]; ok || string(c.Host.NetworkMode) == n.Name {
			return fmt.Errorf("Error response from daemon: error while removing network: network %s id %s has active endpoints", n.Name, n.ID)
		}
	}
	delete(e.networks, n.ID)
	return nil
}

// NetworkConnect attaches a container to a network.
func (e *Engine) NetworkConnect(ctx context.Context, netRef, ref string, cfg *network.EndpointSettings) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	n, err := e.findNetworkLocked(netRef)
	if err != nil {
		return err
	}
	c, err := e.findLocked(ref)
	if err != nil {
		return err
	}
	c.Networks[n.Name] = cfg
	return nil
}

// VolumeCreate creates a volume, or returns the one of that name.
func (e *Engine) VolumeCreate(ctx context.Context, o volume.CreateOptions) (volume.Volume, error) {
	e.call("volume-create", o.Name)
	e.mu.Lock()
	defer e.mu.Unlock()
	if v, ok := e.volumes[o.Name]; ok {
		return *v, nil
	}
	lbls := map[string]string{}
	for k, v := range o.Labels {
		lbls[k] = v
	}
	v := &volume.Volume{Name: o.Name, Driver: o.Driver, Labels: lbls}
	e.volumes[o.Name] = v
	return *v, nil
}

// VolumeInspect finds a volume by name.
func (e *Engine) VolumeInspect(ctx context.Context, name string) (volume.Volume, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if v, ok := e.volumes[name]; ok {
		return *v, nil
	}
	return volume.Volume{}, notFoundError{"get " + name + ": no such volume"}
}

// VolumeList lists volumes matching label filters.
func (e *Engine) VolumeList(ctx context.Context, o volume.ListOptions) (volume.ListResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out volume.ListResponse
	for _, v := range e.volumes {
		if matchFilters(o.Filters, v.Name, v.Labels) {
			cp := *v
			out.Volumes = append(out.Volumes, &cp)
		}
	}
	return out, nil
}

// VolumeRemove removes a volume.
func (e *Engine) VolumeRemove(ctx context.Context, name string, _ bool) error {
	e.call("volume-remove", name)
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.volumes[name]; !ok {
		return notFoundError{"get " + name + ": no such volume"}
	}
	delete(e.volumes, name)
	return nil
}

// Attach streams nothing and ends when the container stops running or ctx ends.
func (e *Engine) Attach(ctx context.Context, ref string, tty bool, stdout, stderr io.Writer) (<-chan error, error) {
	return e.AttachIO(ctx, ref, tty, nil, stdout, stderr)
}

// AttachIO is Attach with stdin, which the fake ignores.
func (e *Engine) AttachIO(ctx context.Context, ref string, _ bool, _ io.Reader, stdout, _ io.Writer) (<-chan error, error) {
	e.mu.Lock()
	c, err := e.findLocked(ref)
	if err != nil {
		e.mu.Unlock()
		return nil, err
	}
	lines := e.behaviors[c.Config.Labels[labels.Service]].Logs
	e.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		// Output is for the container's next run: wait for it to start, then for it to end.
		for ctx.Err() == nil {
			e.mu.Lock()
			exited := c.exited
			_, exists := e.containers[c.ID]
			e.mu.Unlock()
			if !exists {
				break
			}
			if exited != nil {
				for _, l := range lines {
					fmt.Fprintln(stdout, l)
				}
				select {
				case <-exited:
				case <-ctx.Done():
				}
				done <- nil
				return
			}
			time.Sleep(time.Millisecond)
		}
		done <- nil
	}()
	return done, nil
}

// Logs writes a container's Behavior.Logs.
func (e *Engine) Logs(ctx context.Context, ref string, _ bool, _ engine.LogOptions, stdout, _ io.Writer) error {
	e.mu.Lock()
	c, err := e.findLocked(ref)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	lines := e.behaviors[c.Config.Labels[labels.Service]].Logs
	e.mu.Unlock()
	w := bufio.NewWriter(stdout)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return w.Flush()
}

// LastLines returns up to n last lines of a container's Behavior.Logs.
func (e *Engine) LastLines(ctx context.Context, ref string, n int) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.findLocked(ref)
	if err != nil {
		return nil
	}
	lines := e.behaviors[c.Config.Labels[labels.Service]].Logs
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// Drain blocks until every subscriber has taken every event sent so far (or ctx ends), so a test can
// order its next step after the tracker has read them.
func (e *Engine) Drain(ctx context.Context) {
	for ctx.Err() == nil {
		e.mu.Lock()
		pending := 0
		for s := range e.subs {
			pending += len(s.ch)
		}
		e.mu.Unlock()
		if pending == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
