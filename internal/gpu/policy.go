package gpu

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
)

// Kind says how mlstack treats GPUs for a run.
type Kind int

// The GPU policies --gpus and MLSTACK_GPUS can select.
const (
	// Auto keeps a service's GPU requests when the engine has a GPU and drops them, with a notice, when not.
	Auto Kind = iota
	// All requires every GPU of the engine.
	All
	// None drops every GPU request.
	None
	// Count requires a number of GPUs.
	Count
	// Devices requires the GPUs with the given IDs (index, UUID or CDI name).
	Devices
)

// ErrNoGPU is wrapped by Resolve when a GPU is required and the engine has none.
var ErrNoGPU = errors.New("no GPU on this engine")

// Mode is a parsed --gpus value; Request is what docker run --gpus would send for All, Count and Devices.
type Mode struct {
	Kind    Kind
	Request container.DeviceRequest
}

// String renders the mode as a --gpus value.
func (m Mode) String() string {
	switch m.Kind {
	case Auto:
		return "auto"
	case None:
		return "none"
	default:
		return describe(m.Request)
	}
}

// ParseFlag parses --gpus or MLSTACK_GPUS: auto (also ""), all, none, a count N, device=ID[,ID...]
// (indexes, UUIDs or CDI names, with or without the quotes docker needs), a bare CDI name, or any
// other docker run --gpus value such as `driver=nvidia,count=2,"capabilities=compute,utility"`.
func ParseFlag(s string) (Mode, error) {
	v := strings.TrimSpace(s)
	switch strings.ToLower(v) {
	case "", "auto":
		return Mode{Kind: Auto}, nil
	case "none", "0":
		return Mode{Kind: None}, nil
	case "all":
		return Mode{Kind: All, Request: gpuRequest(-1, nil)}, nil
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return Mode{}, fmt.Errorf("parse --gpus %q: a count must be positive (or use all, none or auto)", s)
		}
		return Mode{Kind: Count, Request: gpuRequest(n, nil)}, nil
	}
	// Unlike docker, device=0,2 means GPUs 0 and 2; docker needs '"device=0,2"' for that.
	unquoted := strings.Trim(v, `"`)
	if ids, ok := strings.CutPrefix(unquoted, "device="); ok && !hasRequestKey(ids) {
		list := strings.Split(ids, ",")
		if slices.Contains(list, "") {
			return Mode{}, fmt.Errorf("parse --gpus %q: empty device ID in %q", s, ids)
		}
		if allCDI(list) {
			return Mode{Kind: Devices, Request: container.DeviceRequest{Driver: CDIDriver, DeviceIDs: list}}, nil
		}
		return Mode{Kind: Devices, Request: gpuRequest(0, list)}, nil
	}
	if IsCDIName(unquoted) {
		return Mode{Kind: Devices, Request: container.DeviceRequest{Driver: CDIDriver, DeviceIDs: []string{unquoted}}}, nil
	}
	if !strings.Contains(v, "=") {
		return Mode{}, fmt.Errorf("parse --gpus %q: want auto, all, none, a count, or device=ID[,ID...]", s)
	}
	req, err := ParseRequest(v)
	if err != nil {
		return Mode{}, fmt.Errorf("parse --gpus: %w", err)
	}
	if len(req.DeviceIDs) > 0 && req.Count != 0 {
		return Mode{}, fmt.Errorf("parse --gpus %q: give either a count or device IDs, not both", s)
	}
	switch {
	case len(req.DeviceIDs) > 0:
		return Mode{Kind: Devices, Request: req}, nil
	case req.Count < 0:
		return Mode{Kind: All, Request: req}, nil
	case req.Count == 0:
		return Mode{Kind: None}, nil
	default:
		return Mode{Kind: Count, Request: req}, nil
	}
}

// hasRequestKey reports whether a device= value carries further docker --gpus keys.
func hasRequestKey(s string) bool {
	for _, k := range []string{"driver=", "count=", "capabilities=", "options=", "device="} {
		if strings.Contains(s, ","+k) {
			return true
		}
	}
	return false
}

// gpuRequest is the request docker run --gpus sends for a count or a device list.
func gpuRequest(count int, ids []string) container.DeviceRequest {
	return container.DeviceRequest{
		Count:        count,
		DeviceIDs:    ids,
		Capabilities: [][]string{{"gpu"}},
		Options:      map[string]string{},
	}
}

// Decision is the outcome of Resolve.
type Decision struct {
	// Requests are the device requests to send with the container.
	Requests []container.DeviceRequest
	// Requested describes what the service or the flag asked for ("none" when nothing).
	Requested string
	// Granted describes what the container gets ("none" when it runs on CPU).
	Granted string
	// Notice, when set, tells the user that GPU requests were dropped; NoticeFor names the service.
	Notice string
}

// noticeText is the auto-mode notice; NoticeFor inserts the service name.
const noticeText = "no GPU on this engine: running %son CPU (use --gpus all to require one)"

// NoticeFor returns the notice naming service, e.g.
// `no GPU on this engine: running "training" on CPU (use --gpus all to require one)`, or "".
func (d Decision) NoticeFor(service string) string {
	if d.Notice == "" {
		return ""
	}
	if service == "" {
		return d.Notice
	}
	return fmt.Sprintf(noticeText, strconv.Quote(service)+" ")
}

// Resolve applies mode to a service's device requests (from FromService) on an engine that has,
// or has not, a usable GPU. Requests that are not GPU requests pass through untouched; a mode other
// than auto replaces the service's GPU requests.
func Resolve(mode Mode, fromService []container.DeviceRequest, engineHasGPU bool) (Decision, error) {
	var gpus, others []container.DeviceRequest
	for _, r := range fromService {
		if IsGPURequest(r) {
			gpus = append(gpus, r)
		} else {
			others = append(others, r)
		}
	}
	switch mode.Kind {
	case Auto:
		switch {
		case len(gpus) == 0:
			return Decision{Requests: others, Requested: "none", Granted: "none"}, nil
		case engineHasGPU:
			asked := Describe(gpus)
			return Decision{Requests: fromService, Requested: asked, Granted: asked}, nil
		default:
			return Decision{
				Requests:  others,
				Requested: Describe(gpus),
				Granted:   "none",
				Notice:    fmt.Sprintf(noticeText, ""),
			}, nil
		}
	case None:
		return Decision{Requests: others, Requested: "none", Granted: "none"}, nil
	case All, Count, Devices:
		if !engineHasGPU {
			return Decision{}, fmt.Errorf("--gpus %s: %w: install the NVIDIA driver and nvidia-container-toolkit "+
				"on the engine host and restart dockerd, or use --gpus auto (run on CPU when there is no GPU) or --gpus none", mode, ErrNoGPU)
		}
		asked := mode.String()
		return Decision{Requests: append(others, mode.Request), Requested: asked, Granted: asked}, nil
	default:
		return Decision{}, fmt.Errorf("resolve GPUs: unknown mode %d", mode.Kind)
	}
}
