package stack

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/blkiodev"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/strslice"
	"github.com/docker/go-connections/nat"
	"github.com/docker/go-units"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mlstack/mlstack/internal/labels"
)

// Spec is everything needed to create one container of a service.
type Spec struct {
	Name        string
	Config      *container.Config
	Host        *container.HostConfig
	Network     *network.NetworkingConfig
	ExtraNets   map[string]*network.EndpointSettings // connected after create (API 1.41 takes one at create)
	BindsToMake []string                             // host paths to create before the container (short bind syntax)
	// Files are host files to write before the container is created: configs and secrets given as
	// content or environment, bind-mounted like file sources (host path → content).
	Files map[string]string
	// Platform is the service's platform:, passed to ContainerCreate (nil: the engine's own).
	Platform *ocispec.Platform
}

// SpecInput carries what convert needs besides the service itself.
type SpecInput struct {
	Project    *types.Project
	Service    types.ServiceConfig
	Number     int
	OneOff     bool
	Slug       string
	Name       string // container name; derived when empty
	ConfigHash string
	ImageID    string
	// DeviceRequests replace the service's GPU requests after the GPU policy decided (nil: none).
	DeviceRequests []container.DeviceRequest
	// APIVersion is the negotiated Engine API version; fields newer engines know are left out below it.
	APIVersion string
}

// ContainerName is compose v2's name for a service's nth container.
func ContainerName(project string, s types.ServiceConfig, n int) string {
	if s.ContainerName != "" {
		return s.ContainerName
	}
	return fmt.Sprintf("%s-%s-%d", project, s.Name, n)
}

// NetworkName is the engine's name for a project network key.
func NetworkName(p *types.Project, key string) string {
	if n, ok := p.Networks[key]; ok && n.Name != "" {
		return n.Name
	}
	return p.Name + "_" + key
}

// VolumeName is the engine's name for a project volume key.
func VolumeName(p *types.Project, key string) string {
	if v, ok := p.Volumes[key]; ok && v.Name != "" {
		return v.Name
	}
	return p.Name + "_" + key
}

// ContainerSpec maps a compose service to Engine API create requests.
func ContainerSpec(in SpecInput) (*Spec, error) {
	s := in.Service
	p := in.Project
	name := in.Name
	if name == "" {
		name = ContainerName(p.Name, s, in.Number)
	}
	lbls := map[string]string{}
	for k, v := range s.Labels {
		lbls[k] = v
	}
	oneoff := "False"
	if in.OneOff {
		oneoff = "True"
	}
	deps := make([]string, 0, len(s.DependsOn))
	for d, c := range s.DependsOn {
		deps = append(deps, fmt.Sprintf("%s:%s:%t", d, c.Condition, c.Restart))
	}
	sort.Strings(deps)
	for k, v := range map[string]string{
		labels.Project:         p.Name,
		labels.Service:         s.Name,
		labels.ContainerNumber: strconv.Itoa(in.Number),
		labels.OneOff:          oneoff,
		labels.ConfigHash:      in.ConfigHash,
		labels.WorkingDir:      p.WorkingDir,
		labels.ConfigFiles:     strings.Join(p.ComposeFiles, ","),
		labels.Version:         labels.ComposeVersion,
		labels.DependsOn:       strings.Join(deps, ","),
		labels.Image:           in.ImageID,
		labels.Tool:            "mlstack",
	} {
		lbls[k] = v
	}
	if in.Slug != "" {
		lbls[labels.Slug] = in.Slug
	}
	if len(p.Environment) > 0 {
		if f, ok := p.Environment["COMPOSE_ENV_FILES"]; ok {
			lbls[labels.EnvironmentFile] = f
		}
	}

	env := []string{}
	hasUnbuffered := false
	for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
		v := s.Environment[k]
		if k == "PYTHONUNBUFFERED" {
			hasUnbuffered = true
		}
		if v == nil {
			continue // unset and not in the environment: compose leaves it out too
		}
		env = append(env, k+"="+*v)
	}
	if !hasUnbuffered {
		// Python buffers stdout without a TTY; ML jobs are mostly Python, and their logs must stream.
		env = append(env, "PYTHONUNBUFFERED=1")
	}

	exposed := nat.PortSet{}
	bindings := nat.PortMap{}
	for _, e := range s.Expose {
		proto := "tcp"
		port := e
		if i := strings.Index(e, "/"); i >= 0 {
			port, proto = e[:i], e[i+1:]
		}
		exposed[nat.Port(port+"/"+proto)] = struct{}{}
	}
	for _, pc := range s.Ports {
		proto := pc.Protocol
		if proto == "" {
			proto = "tcp"
		}
		cp := nat.Port(fmt.Sprintf("%d/%s", pc.Target, proto))
		exposed[cp] = struct{}{}
		bindings[cp] = append(bindings[cp], nat.PortBinding{HostIP: pc.HostIP, HostPort: pc.Published})
	}

	cfg := &container.Config{
		Hostname:     s.Hostname,
		Domainname:   s.DomainName,
		User:         s.User,
		ExposedPorts: exposed,
		Tty:          s.Tty,
		OpenStdin:    s.StdinOpen,
		AttachStdin:  s.StdinOpen,
		AttachStdout: true,
		AttachStderr: true,
		Env:          env,
		Image:        imageRef(in),
		WorkingDir:   s.WorkingDir,
		Labels:       lbls,
		StopSignal:   s.StopSignal,
		// API 1.41 takes the MAC address here; 1.44 moved it to the endpoint (set there too).
		MacAddress: s.MacAddress,
	}
	if s.Command != nil {
		cfg.Cmd = strslice.StrSlice(s.Command)
	}
	if s.Entrypoint != nil {
		cfg.Entrypoint = strslice.StrSlice(s.Entrypoint)
	}
	if s.StopGracePeriod != nil {
		secs := int(time.Duration(*s.StopGracePeriod).Seconds())
		cfg.StopTimeout = &secs
	}
	if hc := s.HealthCheck; hc != nil {
		h := &container.HealthConfig{Test: []string(hc.Test)}
		if hc.Disable {
			h.Test = []string{"NONE"}
		}
		if hc.Interval != nil {
			h.Interval = time.Duration(*hc.Interval)
		}
		if hc.Timeout != nil {
			h.Timeout = time.Duration(*hc.Timeout)
		}
		if hc.StartPeriod != nil {
			h.StartPeriod = time.Duration(*hc.StartPeriod)
		}
		if hc.Retries != nil {
			h.Retries = int(*hc.Retries)
		}
		if hc.StartInterval != nil && !apiBelow(in.APIVersion, "1.44") {
			h.StartInterval = time.Duration(*hc.StartInterval)
		}
		cfg.Healthcheck = h
	}

	host := &container.HostConfig{
		PortBindings:   bindings,
		Init:           s.Init,
		Privileged:     s.Privileged,
		ReadonlyRootfs: s.ReadOnly,
		CapAdd:         s.CapAdd,
		CapDrop:        s.CapDrop,
		SecurityOpt:    s.SecurityOpt,
		DNS:            s.DNS,
		DNSSearch:      s.DNSSearch,
		DNSOptions:     s.DNSOpts,
		GroupAdd:       s.GroupAdd,
		IpcMode:        container.IpcMode(shareNamespace(p, s.Ipc)),
		PidMode:        container.PidMode(shareNamespace(p, s.Pid)),
		CgroupnsMode:   container.CgroupnsMode(s.Cgroup),
		UsernsMode:     container.UsernsMode(s.UserNSMode),
		StorageOpt:     s.StorageOpt,
		VolumeDriver:   s.VolumeDriver,
		UTSMode:        container.UTSMode(s.Uts),
		Runtime:        s.Runtime,
		OomScoreAdj:    int(s.OomScoreAdj),
		ShmSize:        int64(s.ShmSize),
		Sysctls:        map[string]string(s.Sysctls),
		Isolation:      container.Isolation(s.Isolation),
		RestartPolicy:  restartPolicy(s),
		ExtraHosts:     extraHosts(s.ExtraHosts),
		VolumesFrom:    volumesFrom(p, s.VolumesFrom),
	}
	var err error
	if host.Links, err = links(p, s); err != nil {
		return nil, err
	}
	host.Resources = resources(s)
	host.Resources.CgroupParent = s.CgroupParent
	host.Resources.DeviceRequests = in.DeviceRequests
	if s.Logging != nil {
		host.LogConfig = container.LogConfig{Type: s.Logging.Driver, Config: map[string]string(s.Logging.Options)}
	} else if s.LogDriver != "" {
		host.LogConfig = container.LogConfig{Type: s.LogDriver, Config: s.LogOpt}
	}
	for _, t := range s.Tmpfs {
		if host.Tmpfs == nil {
			host.Tmpfs = map[string]string{}
		}
		path, opts, _ := strings.Cut(t, ":")
		host.Tmpfs[path] = opts
	}
	for _, u := range slices.Sorted(maps.Keys(s.Ulimits)) {
		l := s.Ulimits[u]
		soft, hard := int64(l.Soft), int64(l.Hard)
		if l.Single != 0 {
			soft, hard = int64(l.Single), int64(l.Single)
		}
		host.Ulimits = append(host.Ulimits, &container.Ulimit{Name: u, Soft: soft, Hard: hard})
	}
	for _, d := range s.Devices {
		perm := d.Permissions
		if perm == "" {
			perm = "rwm"
		}
		target := d.Target
		if target == "" {
			target = d.Source
		}
		host.Devices = append(host.Devices, container.DeviceMapping{PathOnHost: d.Source, PathInContainer: target, CgroupPermissions: perm})
	}

	spec := &Spec{Name: name, Config: cfg, Host: host}
	if spec.Platform, err = parsePlatform(s.Platform); err != nil {
		return nil, fmt.Errorf("services.%s.platform: %w", s.Name, err)
	}
	if err := mounts(p, s, host, spec); err != nil {
		return nil, err
	}
	if err := fileMounts(p, s, spec); err != nil {
		return nil, err
	}
	if err := networks(p, s, in, spec); err != nil {
		return nil, err
	}
	if spec.Network != nil && len(host.Links) > 0 {
		// On a user-defined network the engine resolves link aliases from the endpoint's links, as
		// the docker CLI sends them.
		for _, ep := range spec.Network.EndpointsConfig {
			ep.Links = host.Links
		}
	}
	return spec, nil
}

func imageRef(in SpecInput) string {
	if in.Service.Image != "" {
		return in.Service.Image
	}
	return in.Project.Name + "-" + in.Service.Name
}

func apiBelow(v, min string) bool {
	if v == "" {
		return false
	}
	a := strings.Split(v, ".")
	b := strings.Split(min, ".")
	for i := 0; i < 2; i++ {
		x, _ := strconv.Atoi(a[i])
		y, _ := strconv.Atoi(b[i])
		if x != y {
			return x < y
		}
	}
	return false
}

func restartPolicy(s types.ServiceConfig) container.RestartPolicy {
	r := s.Restart
	if r == "" && s.Deploy != nil && s.Deploy.RestartPolicy != nil {
		switch s.Deploy.RestartPolicy.Condition {
		case "any":
			r = "always"
		case "on-failure":
			r = "on-failure"
			if s.Deploy.RestartPolicy.MaxAttempts != nil {
				r = fmt.Sprintf("on-failure:%d", *s.Deploy.RestartPolicy.MaxAttempts)
			}
		}
	}
	name, max, _ := strings.Cut(r, ":")
	n, _ := strconv.Atoi(max)
	if name == "" {
		name = "no"
	}
	return container.RestartPolicy{Name: container.RestartPolicyMode(name), MaximumRetryCount: n}
}

func resources(s types.ServiceConfig) container.Resources {
	r := container.Resources{
		CPUShares:          s.CPUShares,
		CPUPeriod:          s.CPUPeriod,
		CPUQuota:           s.CPUQuota,
		CpusetCpus:         s.CPUSet,
		Memory:             int64(s.MemLimit),
		MemoryReservation:  int64(s.MemReservation),
		MemorySwap:         int64(s.MemSwapLimit),
		OomKillDisable:     &s.OomKillDisable,
		CPURealtimePeriod:  s.CPURTPeriod,
		CPURealtimeRuntime: s.CPURTRuntime,
		DeviceCgroupRules:  s.DeviceCgroupRules,
	}
	if s.MemSwappiness != 0 {
		sw := int64(s.MemSwappiness)
		r.MemorySwappiness = &sw
	}
	if b := s.BlkioConfig; b != nil {
		r.BlkioWeight = b.Weight
		for _, d := range b.WeightDevice {
			r.BlkioWeightDevice = append(r.BlkioWeightDevice, &blkiodev.WeightDevice{Path: d.Path, Weight: d.Weight})
		}
		throttle := func(ds []types.ThrottleDevice) []*blkiodev.ThrottleDevice {
			var out []*blkiodev.ThrottleDevice
			for _, d := range ds {
				out = append(out, &blkiodev.ThrottleDevice{Path: d.Path, Rate: uint64(d.Rate)})
			}
			return out
		}
		r.BlkioDeviceReadBps = throttle(b.DeviceReadBps)
		r.BlkioDeviceReadIOps = throttle(b.DeviceReadIOps)
		r.BlkioDeviceWriteBps = throttle(b.DeviceWriteBps)
		r.BlkioDeviceWriteIOps = throttle(b.DeviceWriteIOps)
	}
	if !s.OomKillDisable {
		r.OomKillDisable = nil
	}
	if s.CPUS > 0 {
		r.NanoCPUs = int64(s.CPUS * 1e9)
	}
	if s.PidsLimit != 0 {
		pl := s.PidsLimit
		r.PidsLimit = &pl
	}
	if s.Deploy != nil {
		if l := s.Deploy.Resources.Limits; l != nil {
			if l.NanoCPUs > 0 {
				r.NanoCPUs = int64(float64(l.NanoCPUs) * 1e9)
			}
			if l.MemoryBytes > 0 {
				r.Memory = int64(l.MemoryBytes)
			}
			if l.Pids > 0 {
				pl := l.Pids
				r.PidsLimit = &pl
			}
		}
		if rs := s.Deploy.Resources.Reservations; rs != nil && rs.MemoryBytes > 0 {
			r.MemoryReservation = int64(rs.MemoryBytes)
		}
	}
	return r
}

func extraHosts(h types.HostsList) []string {
	var out []string
	for _, host := range slices.Sorted(maps.Keys(h)) {
		for _, ip := range h[host] {
			out = append(out, host+":"+ip)
		}
	}
	return out
}

func volumesFrom(p *types.Project, from []string) []string {
	var out []string
	for _, f := range from {
		if strings.HasPrefix(f, "container:") {
			out = append(out, strings.TrimPrefix(f, "container:"))
			continue
		}
		svc, mode, _ := strings.Cut(f, ":")
		name := fmt.Sprintf("%s-%s-1", p.Name, svc)
		if mode != "" {
			name += ":" + mode
		}
		out = append(out, name)
	}
	return out
}

func mounts(p *types.Project, s types.ServiceConfig, host *container.HostConfig, spec *Spec) error {
	for i, v := range s.Volumes {
		field := fmt.Sprintf("services.%s.volumes[%d]", s.Name, i)
		if !strings.HasPrefix(v.Target, "/") {
			return fmt.Errorf("%s: target %q must be an absolute path in the container", field, v.Target)
		}
		m := mount.Mount{Target: v.Target, ReadOnly: v.ReadOnly, Consistency: mount.Consistency(v.Consistency)}
		switch v.Type {
		case types.VolumeTypeBind:
			m.Type = mount.TypeBind
			m.Source = v.Source
			if v.Bind != nil {
				m.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(v.Bind.Propagation)}
			}
			if _, err := os.Stat(v.Source); err != nil {
				if v.Bind != nil && bool(v.Bind.CreateHostPath) {
					spec.BindsToMake = append(spec.BindsToMake, v.Source)
				} else {
					return fmt.Errorf("%s: bind source %q does not exist (create it, or set bind.create_host_path: true)", field, v.Source)
				}
			}
		case types.VolumeTypeVolume:
			m.Type = mount.TypeVolume
			if v.Source != "" {
				if _, ok := p.Volumes[v.Source]; !ok {
					return fmt.Errorf("%s: volume %q is not declared under the top-level volumes key", field, v.Source)
				}
				m.Source = VolumeName(p, v.Source)
			}
			if v.Volume != nil {
				m.VolumeOptions = &mount.VolumeOptions{NoCopy: v.Volume.NoCopy, Subpath: v.Volume.Subpath}
			}
		case types.VolumeTypeTmpfs:
			m.Type = mount.TypeTmpfs
			if v.Tmpfs != nil {
				m.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: int64(v.Tmpfs.Size), Mode: os.FileMode(v.Tmpfs.Mode)}
			}
		case types.VolumeTypeNamedPipe:
			m.Type = mount.TypeNamedPipe
			m.Source = v.Source
		default:
			return fmt.Errorf("%s: volume type %q is not supported", field, v.Type)
		}
		host.Mounts = append(host.Mounts, m)
	}
	return nil
}

func networks(p *types.Project, s types.ServiceConfig, in SpecInput, spec *Spec) error {
	mode := s.NetworkMode
	switch {
	case mode == "" && len(s.Networks) == 0:
		mode = "none"
		if _, ok := p.Networks["default"]; ok {
			mode = ""
		}
	case strings.HasPrefix(mode, "service:"):
		svc := strings.TrimPrefix(mode, "service:")
		dep, ok := p.Services[svc]
		if !ok {
			return fmt.Errorf("services.%s.network_mode: service %q is not enabled", s.Name, svc)
		}
		spec.Host.NetworkMode = container.NetworkMode("container:" + ContainerName(p.Name, dep, 1))
		return nil
	}
	if mode != "" {
		spec.Host.NetworkMode = container.NetworkMode(mode)
		return nil
	}
	keys := s.NetworksByPriority()
	if len(keys) == 0 {
		keys = []string{"default"}
	}
	for i, key := range keys {
		if _, ok := p.Networks[key]; !ok {
			return fmt.Errorf("services.%s.networks: network %q is not declared under the top-level networks key", s.Name, key)
		}
		nc := s.Networks[key]
		ep := &network.EndpointSettings{}
		var aliases []string
		if !in.OneOff && nc.ServiceNameAliasEnabled() {
			aliases = append(aliases, s.Name)
		}
		if nc != nil {
			aliases = append(aliases, nc.Aliases...)
			if nc.Ipv4Address != "" || nc.Ipv6Address != "" {
				ep.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: nc.Ipv4Address, IPv6Address: nc.Ipv6Address}
			}
			if nc.MacAddress != "" && !apiBelow(in.APIVersion, "1.44") {
				ep.MacAddress = nc.MacAddress
			}
		}
		ep.Aliases = aliases
		name := NetworkName(p, key)
		if i == 0 {
			spec.Host.NetworkMode = container.NetworkMode(name)
			spec.Network = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{name: ep}}
			continue
		}
		if spec.ExtraNets == nil {
			spec.ExtraNets = map[string]*network.EndpointSettings{}
		}
		spec.ExtraNets[name] = ep
	}
	return nil
}

// shareNamespace maps ipc:/pid: "service:NAME" to the engine's "container:<its first container>";
// other values (host, private, shareable, container:NAME) pass through.
func shareNamespace(p *types.Project, mode string) string {
	svc, ok := strings.CutPrefix(mode, types.ServicePrefix)
	if !ok {
		return mode
	}
	if dep, ok := p.Services[svc]; ok {
		return "container:" + ContainerName(p.Name, dep, 1)
	}
	return "container:" + fmt.Sprintf("%s-%s-1", p.Name, svc)
}

// links maps legacy links (service[:alias], to the service's first container) and external_links
// (container[:alias]) to the engine's Links, which also resolve on user-defined networks.
func links(p *types.Project, s types.ServiceConfig) ([]string, error) {
	var out []string
	for _, l := range s.Links {
		svc, alias, _ := strings.Cut(l, ":")
		dep, ok := p.Services[svc]
		if !ok {
			return nil, fmt.Errorf("services.%s.links: service %q is not enabled", s.Name, svc)
		}
		if alias == "" {
			alias = svc
		}
		cname := ContainerName(p.Name, dep, 1)
		out = append(out, cname+":"+alias)
		if alias != svc {
			out = append(out, cname+":"+svc)
		}
	}
	for _, l := range s.ExternalLinks {
		ctr, alias, _ := strings.Cut(l, ":")
		if alias == "" {
			alias = ctr
		}
		out = append(out, ctr+":"+alias)
	}
	return out, nil
}

// parsePlatform reads "os[/arch[/variant]]".
func parsePlatform(v string) (*ocispec.Platform, error) {
	if v == "" {
		return nil, nil
	}
	parts := strings.Split(strings.ToLower(v), "/")
	if len(parts) > 3 || parts[0] == "" {
		return nil, fmt.Errorf("%q: want os[/arch[/variant]], like linux/amd64", v)
	}
	pl := &ocispec.Platform{OS: parts[0]}
	if len(parts) > 1 {
		pl.Architecture = parts[1]
	}
	if len(parts) > 2 {
		pl.Variant = parts[2]
	}
	return pl, nil
}

// fileMounts mounts the service's secrets (at /run/secrets/<name>) and configs (at /<name>) read-only
// where compose mounts them, or at their target. File sources are bind-mounted; content and
// environment sources are written under the project's .mlstack directory first (Spec.Files).
func fileMounts(p *types.Project, s types.ServiceConfig, spec *Spec) error {
	type ref struct {
		kind, base string
		r          types.FileReferenceConfig
		obj        types.FileObjectConfig
		declared   bool
	}
	var refs []ref
	for _, sc := range s.Secrets {
		obj, ok := p.Secrets[sc.Source]
		refs = append(refs, ref{"secrets", "/run/secrets/", types.FileReferenceConfig(sc), types.FileObjectConfig(obj), ok})
	}
	for _, cc := range s.Configs {
		obj, ok := p.Configs[cc.Source]
		refs = append(refs, ref{"configs", "/", types.FileReferenceConfig(cc), types.FileObjectConfig(obj), ok})
	}
	for _, r := range refs {
		field := fmt.Sprintf("services.%s.%s: %s", s.Name, r.kind, r.r.Source)
		if !r.declared {
			return fmt.Errorf("%s is not declared under the top-level %s key", field, r.kind)
		}
		target := r.r.Target
		switch {
		case target == "":
			target = r.base + r.r.Source
		case !strings.HasPrefix(target, "/"):
			target = r.base + target
		}
		src := r.obj.File
		switch {
		case bool(r.obj.External):
			return fmt.Errorf("%s: external %s need a swarm; use file:, environment: or content:", field, r.kind)
		case src != "":
			if _, err := os.Stat(src); err != nil {
				return fmt.Errorf("%s: file %s does not exist", field, src)
			}
		case r.obj.Environment != "" || r.obj.Content != "":
			content := r.obj.Content
			if r.obj.Environment != "" {
				v, ok := p.Environment[r.obj.Environment]
				if !ok {
					return fmt.Errorf("%s: environment variable %s is not set", field, r.obj.Environment)
				}
				content = v
			}
			src = filepath.Join(p.WorkingDir, ".mlstack", r.kind, p.Name+"_"+r.r.Source)
			if spec.Files == nil {
				spec.Files = map[string]string{}
			}
			spec.Files[src] = content
		default:
			return fmt.Errorf("%s: give it a file:, environment: or content: source", field)
		}
		spec.Host.Mounts = append(spec.Host.Mounts, mount.Mount{Type: mount.TypeBind, Source: src, Target: target, ReadOnly: true})
	}
	return nil
}

// humanBytes prints a byte count for messages.
func humanBytes(n int64) string { return units.HumanSize(float64(n)) }

// WriteFiles writes Spec.Files (configs and secrets given as content or environment) so that their
// bind mounts have a source; the directory is private to the user, the files read-only.
func (sp *Spec) WriteFiles() error {
	for _, path := range slices.Sorted(maps.Keys(sp.Files)) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		tmp := path + ".tmp"
		_ = os.Remove(tmp)
		if err := os.WriteFile(tmp, []byte(sp.Files[path]), 0o444); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		// Renamed into place: a container already running keeps its mount of the old file.
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}
