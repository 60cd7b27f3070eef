package stack

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/blkiodev"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// load reads a compose file the way mlstack does (compose-go, paths resolved against dir).
func load(t *testing.T, dir, yaml string, env map[string]string) *types.Project {
	t.Helper()
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml"), Content: []byte(yaml)}},
		Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("proj", true) })
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return p
}

func specOf(t *testing.T, dir string, p *types.Project, service string) *Spec {
	t.Helper()
	sp, err := ContainerSpec(SpecInput{Project: p, Service: p.Services[service], Number: 1, APIVersion: "1.41"})
	if err != nil {
		t.Fatalf("ContainerSpec: %v", err)
	}
	return sp
}

// TestContainerSpecFields is the field → Engine API request table: each compose service field, as a
// user writes it, and what the container create request carries.
func TestContainerSpecFields(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	tests := []struct {
		field string
		yaml  string // the service "s" body, indented by 4
		check func(t *testing.T, sp *Spec)
	}{
		{"container_name", "container_name: fixed", func(t *testing.T, sp *Spec) { eq(t, sp.Name, "fixed") }},
		{"default name", "", func(t *testing.T, sp *Spec) { eq(t, sp.Name, "proj-s-1") }},
		{"cap_add/cap_drop", "cap_add: [NET_ADMIN]\n    cap_drop: [ALL]", func(t *testing.T, sp *Spec) {
			eq(t, []string(sp.Host.CapAdd), []string{"NET_ADMIN"})
			eq(t, []string(sp.Host.CapDrop), []string{"ALL"})
		}},
		{"privileged", "privileged: true", func(t *testing.T, sp *Spec) { eq(t, sp.Host.Privileged, true) }},
		{"security_opt", "security_opt: [no-new-privileges:true]", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.SecurityOpt, []string{"no-new-privileges:true"})
		}},
		{"sysctls", "sysctls: {net.core.somaxconn: 1024}", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.Sysctls, map[string]string{"net.core.somaxconn": "1024"})
		}},
		{"ipc host", "ipc: host", func(t *testing.T, sp *Spec) { eq(t, sp.Host.IpcMode, container.IpcMode("host")) }},
		{"ipc service", "ipc: service:db", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.IpcMode, container.IpcMode("container:proj-db-1"))
		}},
		{"pid host", "pid: host", func(t *testing.T, sp *Spec) { eq(t, sp.Host.PidMode, container.PidMode("host")) }},
		{"pid service", "pid: service:db", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.PidMode, container.PidMode("container:proj-db-1"))
		}},
		{"platform", "platform: linux/arm64/v8", func(t *testing.T, sp *Spec) {
			eq(t, sp.Platform, &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})
		}},
		{"no platform", "", func(t *testing.T, sp *Spec) { eq(t, sp.Platform, (*ocispec.Platform)(nil)) }},
		{"logging", "logging: {driver: json-file, options: {max-size: 10m}}", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.LogConfig, container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "10m"}})
		}},
		{"stdin_open/tty", "stdin_open: true\n    tty: true", func(t *testing.T, sp *Spec) {
			eq(t, sp.Config.OpenStdin, true)
			eq(t, sp.Config.Tty, true)
		}},
		{"hostname/domainname", "hostname: trainer\n    domainname: lab.local", func(t *testing.T, sp *Spec) {
			eq(t, sp.Config.Hostname, "trainer")
			eq(t, sp.Config.Domainname, "lab.local")
		}},
		{"dns", "dns: [1.1.1.1]\n    dns_search: [lab.local]\n    dns_opt: [ndots:1]", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.DNS, []string{"1.1.1.1"})
			eq(t, sp.Host.DNSSearch, []string{"lab.local"})
			eq(t, sp.Host.DNSOptions, []string{"ndots:1"})
		}},
		{"mac_address", "mac_address: 02:42:ac:11:00:02", func(t *testing.T, sp *Spec) {
			eq(t, sp.Config.MacAddress, "02:42:ac:11:00:02") //nolint:staticcheck // API 1.41 takes it here
		}},
		{"read_only", "read_only: true", func(t *testing.T, sp *Spec) { eq(t, sp.Host.ReadonlyRootfs, true) }},
		{"group_add", "group_add: [video]", func(t *testing.T, sp *Spec) { eq(t, sp.Host.GroupAdd, []string{"video"}) }},
		{"oom_score_adj", "oom_score_adj: -500", func(t *testing.T, sp *Spec) { eq(t, sp.Host.OomScoreAdj, -500) }},
		{"cpus/mem_limit (legacy)", "cpus: 1.5\n    mem_limit: 512m\n    mem_reservation: 256m", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.NanoCPUs, int64(1.5e9))
			eq(t, sp.Host.Memory, int64(512<<20))
			eq(t, sp.Host.MemoryReservation, int64(256<<20))
		}},
		{"deploy limits", "deploy: {resources: {limits: {cpus: '0.5', memory: 1g, pids: 100}}}", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.NanoCPUs, int64(0.5e9))
			eq(t, sp.Host.Memory, int64(1<<30))
			eq(t, sp.Host.PidsLimit, i64(100))
		}},
		{"shm_size", "shm_size: 2g", func(t *testing.T, sp *Spec) { eq(t, sp.Host.ShmSize, int64(2<<30)) }},
		{"mem_swappiness", "mem_swappiness: 10", func(t *testing.T, sp *Spec) { eq(t, sp.Host.MemorySwappiness, i64(10)) }},
		{"blkio_config", "blkio_config: {weight: 300, device_read_bps: [{path: /dev/sda, rate: 1mb}]}", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.BlkioWeight, uint16(300))
			eq(t, sp.Host.BlkioDeviceReadBps, []*blkiodev.ThrottleDevice{{Path: "/dev/sda", Rate: 1 << 20}})
		}},
		{"devices", "devices: ['/dev/null:/dev/mynull:r', /dev/zero]", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.Devices, []container.DeviceMapping{
				{PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "r"},
				{PathOnHost: "/dev/zero", PathInContainer: "/dev/zero", CgroupPermissions: "rwm"},
			})
		}},
		{"device_cgroup_rules", "device_cgroup_rules: ['c 195:* rmw']", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.DeviceCgroupRules, []string{"c 195:* rmw"})
		}},
		{"cgroup/userns_mode", "cgroup: host\n    userns_mode: host", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.CgroupnsMode, container.CgroupnsMode("host"))
			eq(t, sp.Host.UsernsMode, container.UsernsMode("host"))
		}},
		{"network_mode host", "network_mode: host", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.NetworkMode, container.NetworkMode("host"))
			eq(t, sp.Network == nil, true)
		}},
		{"network_mode none", "network_mode: none", func(t *testing.T, sp *Spec) { eq(t, sp.Host.NetworkMode, container.NetworkMode("none")) }},
		{"network_mode service", "network_mode: service:db", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.NetworkMode, container.NetworkMode("container:proj-db-1"))
		}},
		{"network_mode container", "network_mode: container:sidecar", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.NetworkMode, container.NetworkMode("container:sidecar"))
		}},
		{"default network", "", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.NetworkMode, container.NetworkMode("proj_default"))
			eq(t, sp.Network.EndpointsConfig["proj_default"].Aliases, []string{"s"})
		}},
		{"links", "links: [db, 'db:database']\n    external_links: ['legacy-redis:redis', other]", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.Links, []string{"proj-db-1:db", "proj-db-1:database", "proj-db-1:db", "legacy-redis:redis", "other:other"})
			eq(t, sp.Network.EndpointsConfig["proj_default"].Links, sp.Host.Links)
		}},
		{"restart", "restart: on-failure:3", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.RestartPolicy, container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3})
		}},
		{"ulimits", "ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}", func(t *testing.T, sp *Spec) {
			eq(t, len(sp.Host.Ulimits), 2)
			eq(t, *sp.Host.Ulimits[0], container.Ulimit{Name: "nofile", Soft: 1024, Hard: 2048})
			eq(t, *sp.Host.Ulimits[1], container.Ulimit{Name: "nproc", Soft: 512, Hard: 512})
		}},
		{"init/runtime", "init: true\n    runtime: runc", func(t *testing.T, sp *Spec) {
			eq(t, *sp.Host.Init, true)
			eq(t, sp.Host.Runtime, "runc")
		}},
		{"tmpfs", "tmpfs: ['/scratch:size=64m']", func(t *testing.T, sp *Spec) { eq(t, sp.Host.Tmpfs, map[string]string{"/scratch": "size=64m"}) }},
		{"stop_signal/grace", "stop_signal: SIGINT\n    stop_grace_period: 30s", func(t *testing.T, sp *Spec) {
			eq(t, sp.Config.StopSignal, "SIGINT")
			eq(t, *sp.Config.StopTimeout, 30)
		}},
		{"extra_hosts", "extra_hosts: ['mlflow:10.0.0.5']", func(t *testing.T, sp *Spec) { eq(t, sp.Host.ExtraHosts, []string{"mlflow:10.0.0.5"}) }},
		{"storage_opt", "storage_opt: {size: 1G}", func(t *testing.T, sp *Spec) {
			eq(t, sp.Host.StorageOpt, map[string]string{"size": "1G"})
		}},
		{"user/working_dir", "user: '1000:1000'\n    working_dir: /app", func(t *testing.T, sp *Spec) {
			eq(t, sp.Config.User, "1000:1000")
			eq(t, sp.Config.WorkingDir, "/app")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			dir := t.TempDir()
			y := "services:\n  db:\n    image: img\n  s:\n    image: img\n"
			if tt.yaml != "" {
				y += "    " + tt.yaml + "\n"
			}
			p := load(t, dir, y, nil)
			tt.check(t, specOf(t, dir, p, "s"))
		})
	}
}

// TestContainerSpecSecretsConfigs checks where secrets and configs land (compose's paths, read-only) and
// that content and environment sources are written to files under .mlstack.
func TestContainerSpecSecretsConfigs(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token.txt"), []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.yaml"), []byte("lr: 0.1"), 0o644); err != nil {
		t.Fatal(err)
	}
	y := `services:
  s:
    image: img
    secrets: [token, {source: token, target: api_token}, {source: envsecret, target: /etc/key}]
    configs: [model, {source: inline, target: /etc/app/inline.conf}, {source: model, target: rel.yaml}]
secrets:
  token: {file: ./token.txt}
  envsecret: {environment: API_KEY}
configs:
  model: {file: ./model.yaml}
  inline: {content: "debug: true"}
`
	p := load(t, dir, y, map[string]string{"API_KEY": "k-123"})
	sp := specOf(t, dir, p, "s")
	got := map[string]mount.Mount{}
	for _, m := range sp.Host.Mounts {
		got[m.Target] = m
	}
	want := map[string]string{
		"/run/secrets/token":     filepath.Join(dir, "token.txt"),
		"/run/secrets/api_token": filepath.Join(dir, "token.txt"),
		"/etc/key":               filepath.Join(dir, ".mlstack", "secrets", "proj_envsecret"),
		"/model":                 filepath.Join(dir, "model.yaml"),
		"/etc/app/inline.conf":   filepath.Join(dir, ".mlstack", "configs", "proj_inline"),
		"/rel.yaml":              filepath.Join(dir, "model.yaml"),
	}
	for target, src := range want {
		m, ok := got[target]
		if !ok {
			t.Errorf("no mount at %s; mounts: %+v", target, sp.Host.Mounts)
			continue
		}
		if m.Source != src || !m.ReadOnly || m.Type != mount.TypeBind {
			t.Errorf("mount at %s = %+v, want read-only bind of %s", target, m, src)
		}
	}
	if err := sp.WriteFiles(); err != nil {
		t.Fatal(err)
	}
	for path, content := range map[string]string{
		filepath.Join(dir, ".mlstack", "secrets", "proj_envsecret"): "k-123",
		filepath.Join(dir, ".mlstack", "configs", "proj_inline"):    "debug: true",
	} {
		b, err := os.ReadFile(path)
		if err != nil || string(b) != content {
			t.Errorf("%s = %q, %v; want %q", path, b, err, content)
		}
	}
	// Writing again (a recreate) replaces the read-only files.
	if err := sp.WriteFiles(); err != nil {
		t.Fatalf("second WriteFiles: %v", err)
	}
}

func TestContainerSpecErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"missing secret file", "services:\n  s:\n    image: img\n    secrets: [tok]\nsecrets:\n  tok: {file: ./nope.txt}\n", "services.s.secrets: tok: file"},
		{"external secret", "services:\n  s:\n    image: img\n    secrets: [tok]\nsecrets:\n  tok: {external: true}\n", "external secrets need a swarm"},
		{"unset env config", "services:\n  s:\n    image: img\n    configs: [c]\nconfigs:\n  c: {environment: NOPE_NOT_SET}\n", "NOPE_NOT_SET is not set"},
		{"bad platform", "services:\n  s:\n    image: img\n    platform: a/b/c/d\n", "services.s.platform"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := load(t, dir, tt.yaml, nil)
			_, err := ContainerSpec(SpecInput{Project: p, Service: p.Services["s"], Number: 1})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestUnsupportedFieldsNamed checks that fields mlstack maps are not warned about and the rest are.
func TestUnsupportedFieldsNamed(t *testing.T) {
	p := load(t, t.TempDir(), "services:\n  s:\n    image: img\n    links: [d]\n    privileged: true\n    platform: linux/amd64\n    cpu_count: 2\n  d:\n    image: img\n", nil)
	eq(t, UnsupportedFields(p.Services["s"]), []string{"cpu_count"})
}

func TestImplicitDependencies(t *testing.T) {
	// compose-go adds the depends_on that network_mode/ipc/pid service: and links imply, so up orders them.
	p := load(t, t.TempDir(), "services:\n  a:\n    image: img\n    network_mode: service:b\n    ipc: service:c\n    links: [d]\n  b: {image: img}\n  c: {image: img}\n  d: {image: img}\n", nil)
	var deps []string
	for d := range p.Services["a"].DependsOn {
		deps = append(deps, d)
	}
	eq(t, sorted(deps), []string{"b", "c", "d"})
}

func TestCombinedStatus(t *testing.T) {
	eq(t, CombinedStatus(map[string]int{"running": 2, "exited": 1}), "exited(1), running(2)")
	eq(t, CombinedStatus(map[string]int{"running": 3}), "running(3)")
}

func TestParsePort(t *testing.T) {
	tests := []struct {
		arg, proto string
		port       int
		wantProto  string
		err        bool
	}{
		{"8080", "", 8080, "tcp", false},
		{"53/udp", "tcp", 53, "udp", false},
		{"53", "udp", 53, "udp", false},
		{"http", "", 0, "", true},
		{"70000", "", 0, "", true},
		{"80/icmp", "", 0, "", true},
	}
	for _, tt := range tests {
		n, proto, err := ParsePort(tt.arg, tt.proto)
		if (err != nil) != tt.err || n != tt.port || proto != tt.wantProto {
			t.Errorf("ParsePort(%q, %q) = %d, %q, %v", tt.arg, tt.proto, n, proto, err)
		}
	}
}

func TestSplitRef(t *testing.T) {
	for ref, want := range map[string][2]string{
		"redis:7":                 {"redis", "7"},
		"localhost:5000/app":      {"localhost:5000/app", "latest"},
		"localhost:5000/app:v1.2": {"localhost:5000/app", "v1.2"},
	} {
		r, tag := splitRef(ref)
		eq(t, [2]string{r, tag}, want)
	}
}

func eq[T any](t *testing.T, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}
