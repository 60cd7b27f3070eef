// Package gpu decides which GPU device requests a container gets and whether the engine can honour them.
package gpu

import (
	"encoding/csv"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/versions"
)

// CDIDriver is the device driver name the engine uses for CDI device names.
const CDIDriver = "cdi"

// cdiMinAPI is the first Engine API version (Engine 25) that accepts CDI device requests.
const cdiMinAPI = "1.44"

// FromService returns the device requests docker compose sends for svc, in compose's order:
// deploy.resources.reservations.devices, then CDI names listed under devices:, then gpus:.
// Device IDs that are all CDI names get driver "cdi" when no driver was given.
func FromService(svc types.ServiceConfig) []container.DeviceRequest {
	var reqs []container.DeviceRequest
	if svc.Deploy != nil && svc.Deploy.Resources.Reservations != nil {
		for _, d := range svc.Deploy.Resources.Reservations.Devices {
			reqs = append(reqs, fromCompose(d, slices.Clone(d.Capabilities)))
		}
	}
	if names, _ := SplitDevices(svc.Devices); len(names) > 0 {
		reqs = append(reqs, container.DeviceRequest{Driver: CDIDriver, DeviceIDs: names})
	}
	for _, d := range svc.Gpus {
		// compose adds "gpu" to whatever gpus: lists, as docker run --gpus does.
		reqs = append(reqs, fromCompose(d, append(slices.Clone(d.Capabilities), "gpu")))
	}
	return reqs
}

func fromCompose(d types.DeviceRequest, caps []string) container.DeviceRequest {
	r := container.DeviceRequest{
		Driver:       d.Driver,
		Count:        int(d.Count),
		DeviceIDs:    slices.Clone(d.IDs),
		Capabilities: [][]string{caps},
		Options:      maps.Clone(map[string]string(d.Options)),
	}
	if r.Driver == "" && allCDI(r.DeviceIDs) {
		r.Driver = CDIDriver
	}
	return r
}

// SplitDevices separates the CDI device names of a service's devices: list (an entry whose
// source is a qualified CDI name and equals its target) from ordinary host device mappings.
func SplitDevices(devices []types.DeviceMapping) (cdiNames []string, mappings []container.DeviceMapping) {
	for _, d := range devices {
		if d.Source == d.Target && IsCDIName(d.Source) {
			cdiNames = append(cdiNames, d.Source)
			continue
		}
		mappings = append(mappings, container.DeviceMapping{
			PathOnHost:        d.Source,
			PathInContainer:   d.Target,
			CgroupPermissions: d.Permissions,
		})
	}
	return cdiNames, mappings
}

// IsCDIName reports whether s is a fully qualified CDI device name such as "nvidia.com/gpu=0".
func IsCDIName(s string) bool {
	if s == "" || s[0] == '/' {
		return false
	}
	kind, name, ok := strings.Cut(s, "=")
	if !ok {
		return false
	}
	vendor, class, ok := strings.Cut(kind, "/")
	if !ok {
		return false
	}
	return validCDIPart(vendor, "_-.", false) && validCDIPart(class, "_-", false) && validCDIPart(name, "_-.:", true)
}

// validCDIPart follows the CDI spec: alphanumerics plus extra inside, a letter first (a letter or
// digit for device names), a letter or digit last.
func validCDIPart(s, extra string, digitFirst bool) bool {
	if s == "" {
		return false
	}
	isLetter := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	if !isLetter(s[0]) && !(digitFirst && isDigit(s[0])) {
		return false
	}
	last := s[len(s)-1]
	if !isLetter(last) && !isDigit(last) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !isDigit(c) && !strings.ContainsRune(extra, rune(c)) {
			return false
		}
	}
	return true
}

func allCDI(ids []string) bool {
	if len(ids) == 0 {
		return false
	}
	for _, id := range ids {
		if !IsCDIName(id) {
			return false
		}
	}
	return true
}

// CheckCDISupported explains why an engine speaking apiVersion cannot take CDI device requests.
func CheckCDISupported(apiVersion string) error {
	if apiVersion != "" && versions.GreaterThanOrEqualTo(apiVersion, cdiMinAPI) {
		return nil
	}
	if apiVersion == "" {
		apiVersion = "unknown"
	}
	return fmt.Errorf("CDI device names (vendor.com/class=name) need Docker Engine 25 or newer (API %s), "+
		"this engine speaks API %s: upgrade the engine, or request GPUs with --gpus all or gpus: all instead", cdiMinAPI, apiVersion)
}

// UsesCDI reports whether any request would go to the engine's CDI driver.
func UsesCDI(reqs []container.DeviceRequest) bool {
	return slices.ContainsFunc(reqs, func(r container.DeviceRequest) bool { return r.Driver == CDIDriver })
}

// IsGPURequest reports whether r asks for a GPU: driver nvidia or cdi, or a "gpu" capability.
func IsGPURequest(r container.DeviceRequest) bool {
	if r.Driver == "nvidia" || r.Driver == CDIDriver {
		return true
	}
	for _, and := range r.Capabilities {
		if slices.Contains(and, "gpu") {
			return true
		}
	}
	return false
}

// ParseRequest parses one docker run --gpus value exactly as the docker CLI does:
// "all", "2", `"device=0,2"`, "device=GPU-uuid", `driver=nvidia,count=2,"capabilities=compute,utility"`.
// The value is a CSV record, so a list inside a key needs quotes, as with docker.
func ParseRequest(value string) (container.DeviceRequest, error) {
	fields, err := csv.NewReader(strings.NewReader(value)).Read()
	if err != nil {
		return container.DeviceRequest{}, fmt.Errorf("parse gpu request %q: %w", value, err)
	}
	var req container.DeviceRequest
	seen := map[string]bool{}
	for _, field := range fields {
		key, val, withValue := strings.Cut(field, "=")
		if seen[key] {
			return container.DeviceRequest{}, fmt.Errorf("parse gpu request %q: key %q given more than once", value, key)
		}
		seen[key] = true
		if !withValue {
			seen["count"] = true
			if req.Count, err = parseCount(key); err != nil {
				return container.DeviceRequest{}, fmt.Errorf("parse gpu request %q: %w", value, err)
			}
			continue
		}
		switch key {
		case "driver":
			req.Driver = val
		case "count":
			if req.Count, err = parseCount(val); err != nil {
				return container.DeviceRequest{}, fmt.Errorf("parse gpu request %q: %w", value, err)
			}
		case "device":
			req.DeviceIDs = strings.Split(val, ",")
		case "capabilities":
			req.Capabilities = [][]string{append(strings.Split(val, ","), "gpu")}
		case "options":
			opts, err := csv.NewReader(strings.NewReader(val)).Read()
			if err != nil {
				return container.DeviceRequest{}, fmt.Errorf("parse gpu request %q: options: %w", value, err)
			}
			req.Options = map[string]string{}
			for _, o := range opts {
				k, v, _ := strings.Cut(o, "=")
				req.Options[k] = v
			}
		default:
			return container.DeviceRequest{}, fmt.Errorf("parse gpu request %q: unknown key %q (want driver, count, device, capabilities or options)", value, key)
		}
	}
	// docker's defaults: one GPU unless a count or devices were named, the "gpu" capability, empty options.
	if !seen["count"] && req.DeviceIDs == nil {
		req.Count = 1
	}
	if req.Options == nil {
		req.Options = map[string]string{}
	}
	if req.Capabilities == nil {
		req.Capabilities = [][]string{{"gpu"}}
	}
	return req, nil
}

func parseCount(s string) (int, error) {
	if s == "all" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("invalid count %q: want \"all\" or an integer", s)
	}
	return n, nil
}

// Describe renders requests for run records and messages: "none", "all", "2", "device=0,2",
// "nvidia.com/gpu=0"; a driver other than nvidia or cdi and extra capabilities are appended.
func Describe(reqs []container.DeviceRequest) string {
	if len(reqs) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(reqs))
	for _, r := range reqs {
		parts = append(parts, describe(r))
	}
	return strings.Join(parts, "; ")
}

func describe(r container.DeviceRequest) string {
	var s string
	switch {
	case r.Driver == CDIDriver:
		s = strings.Join(r.DeviceIDs, ",")
	case len(r.DeviceIDs) > 0:
		s = "device=" + strings.Join(r.DeviceIDs, ",")
	case r.Count < 0:
		s = "all"
	default:
		s = strconv.Itoa(r.Count)
	}
	if r.Driver != "" && r.Driver != "nvidia" && r.Driver != CDIDriver {
		s += " driver=" + r.Driver
	}
	var caps []string
	for _, and := range r.Capabilities {
		for _, c := range and {
			if c != "gpu" && !slices.Contains(caps, c) {
				caps = append(caps, c)
			}
		}
	}
	if len(caps) > 0 {
		s += " capabilities=" + strings.Join(caps, ",")
	}
	return s
}
