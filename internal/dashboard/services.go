package dashboard

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/train"
)

// Service is one service of the project as the page draws it.
type Service struct {
	Name     string   `json:"name"`
	Profiles []string `json:"profiles,omitempty"`
	// Enabled is false when all of the service's profiles are off.
	Enabled bool `json:"enabled"`
	// Image is the configured image, or "build: CONTEXT" for a service built from the project.
	Image      string      `json:"image"`
	DependsOn  []Dep       `json:"depends_on,omitempty"`
	Containers []Container `json:"containers"`
}

// Dep is one depends_on entry.
type Dep struct {
	Service   string `json:"service"`
	Condition string `json:"condition"`
}

// State is everything the stack view shows.
type State struct {
	Project  string    `json:"project"`
	Services []Service `json:"services"`
	// Engine is the last error of the engine's event stream, "" while following.
	Engine string `json:"engine,omitempty"`
	// Tracking is the MLflow UI's URL where the stack has a tracking server with a published port.
	Tracking string `json:"tracking,omitempty"`
	Version  int    `json:"version"`
}

// buildState joins the project's services (all profiles) with the containers the engine has.
func buildState(p *project.Project, cs []Container, engineErr string, version int) State {
	st := State{Project: p.Name, Engine: engineErr, Version: version, Services: []Service{}}
	byService := map[string][]Container{}
	for _, c := range cs {
		if !c.OneOff {
			byService[c.Service] = append(byService[c.Service], c)
		}
	}
	names := make([]string, 0, len(p.All))
	for n := range p.All {
		names = append(names, n)
	}
	// Containers of services no longer in the files still show, so nothing running is hidden.
	for n := range byService {
		if _, ok := p.All[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		svc, known := p.All[n]
		_, enabled := p.Services[n]
		s := Service{Name: n, Enabled: enabled, Profiles: svc.Profiles, Image: imageLabel(svc), Containers: byService[n]}
		if !known {
			s.Image = "(not in the compose files)"
		}
		if s.Containers == nil {
			s.Containers = []Container{}
		}
		slices.SortFunc(s.Containers, func(a, b Container) int { return strings.Compare(a.Name, b.Name) })
		for _, d := range slices.Sorted(maps.Keys(svc.DependsOn)) {
			s.DependsOn = append(s.DependsOn, Dep{Service: d, Condition: svc.DependsOn[d].Condition})
		}
		st.Services = append(st.Services, s)
	}
	if tsvc, _, ok := train.Tracking(p.All, ""); ok {
		for _, c := range byService[tsvc] {
			if len(c.Ports) > 0 {
				st.Tracking = fmt.Sprintf("http://%s:%d", browserHost(c.Ports[0].HostIP), c.Ports[0].Published)
				break
			}
		}
	}
	return st
}

// browserHost is the address a browser on this machine reaches a published port at.
func browserHost(ip string) string {
	switch ip {
	case "", "0.0.0.0", "::":
		return "127.0.0.1"
	}
	if strings.Contains(ip, ":") {
		return "[" + ip + "]"
	}
	return ip
}

func imageLabel(s types.ServiceConfig) string {
	if s.Image != "" {
		return s.Image
	}
	if s.Build != nil {
		return "build: " + s.Build.Context
	}
	return ""
}
