package kube

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// mappedFields are the service fields the conversion maps (docs/kubernetes.md has the table), or
// that mean nothing more on a cluster than compose's defaults do there (networks: every service of
// a namespace reaches every other by name; restart: Deployments restart, Jobs do not).
var mappedFields = map[string]bool{
	"name": true, "image": true, "build": true, "command": true, "entrypoint": true, "environment": true,
	"env_file": true, "ports": true, "expose": true, "healthcheck": true, "depends_on": true, "deploy": true,
	"scale": true, "volumes": true, "tmpfs": true, "secrets": true, "configs": true, "working_dir": true,
	"user": true, "labels": true, "annotations": true, "profiles": true, "tty": true, "stdin_open": true,
	"restart": true, "networks": true, "gpus": true, "pull_policy": true, "stop_grace_period": true,
	"cpus": true, "mem_limit": true, "mem_reservation": true,
}

// unmapped names, one warning each, the service's fields that have no Kubernetes mapping.
func unmapped(svc types.ServiceConfig) []string {
	b, err := json.Marshal(svc)
	if err != nil {
		return []string{fmt.Sprintf("service %q: could not list its fields: %v", svc.Name, err)}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return []string{fmt.Sprintf("service %q: could not list its fields: %v", svc.Name, err)}
	}
	var out []string
	for k, v := range fields {
		if mappedFields[k] || strings.HasPrefix(k, "x-") || isEmpty(v) {
			continue
		}
		out = append(out, fmt.Sprintf("service %q: %s has no Kubernetes mapping and is ignored", svc.Name, k))
	}
	if d := svc.Deploy; d != nil {
		if d.Placement.Constraints != nil || d.Placement.Preferences != nil {
			out = append(out, fmt.Sprintf("service %q: deploy.placement has no Kubernetes mapping and is ignored (use node selectors in an overlay)", svc.Name))
		}
	}
	sort.Strings(out)
	return out
}

func isEmpty(v json.RawMessage) bool {
	switch strings.TrimSpace(string(v)) {
	case "", "null", "false", "0", `""`, "[]", "{}":
		return true
	}
	return false
}
