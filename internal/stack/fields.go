package stack

import (
	"encoding/json"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/ui"
)

// supportedFields are the service keys mlstack maps to the Engine API (see convert.go) or acts on.
var supportedFields = map[string]bool{
	"build": true, "cap_add": true, "cap_drop": true, "cgroup_parent": true, "command": true,
	"container_name": true, "cpu_period": true, "cpu_quota": true, "cpu_shares": true, "cpus": true,
	"cpuset": true, "depends_on": true, "deploy": true, "develop": true, "devices": true, "dns": true,
	"dns_opt": true, "dns_search": true, "domainname": true, "entrypoint": true, "environment": true,
	"env_file": true, "expose": true, "extra_hosts": true, "gpus": true, "group_add": true,
	"healthcheck": true, "hostname": true, "image": true, "init": true, "ipc": true, "isolation": true,
	"labels": true, "label_file": true, "logging": true, "log_driver": true, "log_opt": true, "mac_address": true,
	"mem_limit": true, "mem_reservation": true, "memswap_limit": true, "network_mode": true,
	"networks": true, "oom_kill_disable": true, "oom_score_adj": true, "pid": true, "pids_limit": true,
	"platform": true, "ports": true, "privileged": true, "profiles": true, "pull_policy": true,
	"read_only": true, "restart": true, "runtime": true, "scale": true, "security_opt": true,
	"shm_size": true, "stdin_open": true, "stop_grace_period": true, "stop_signal": true,
	"sysctls": true, "tmpfs": true, "tty": true, "ulimits": true, "user": true, "uts": true,
	"volumes": true, "volumes_from": true, "working_dir": true, "attach": true,
	"secrets": true, "configs": true, "links": true, "external_links": true, "cgroup": true,
	"cpu_rt_period": true, "cpu_rt_runtime": true, "device_cgroup_rules": true, "mem_swappiness": true,
	"storage_opt": true, "userns_mode": true, "volume_driver": true, "blkio_config": true,
}

// UnsupportedFields lists the service's keys that carry a value mlstack does not act on yet.
func UnsupportedFields(s types.ServiceConfig) []string {
	b, err := json.Marshal(s)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	var out []string
	for k, v := range m {
		if supportedFields[k] || string(v) == "null" || string(v) == "false" || string(v) == "0" || string(v) == `""` || string(v) == "[]" || string(v) == "{}" {
			continue
		}
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// WarnUnsupported prints one warning per unsupported field of a service: never dropped silently.
func WarnUnsupported(u *ui.Streams, s types.ServiceConfig) {
	for _, f := range UnsupportedFields(s) {
		u.Warn("service %q: field %q is not supported by mlstack yet and is ignored", s.Name, f)
	}
}
