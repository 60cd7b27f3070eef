// Package stack holds the project-wide use cases: up (convergence in health order), down, ps, logs,
// and the waits they share. It speaks to the engine only through its Engine interface (internal/engine in production).
package stack

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/progress"
	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/ui"
)

// Stack binds a loaded project to an engine and the terminal.
type Stack struct {
	// Eng is the engine connection; the build and GPU hooks take it whole.
	Eng *engine.Client
	// API, when set, serves every engine call the stack makes instead of Eng (unit tests give it
	// internal/enginefake).
	API     Engine
	Project *project.Project
	UI      *ui.Streams
	// Progress, when set, receives each service's transitions during up, down, pull and a job's
	// dependency phase (the terminal's live view, a dashboard).
	Progress progress.Sink

	images onceMap // image reference → resolved ID, for this command
}

// onceMap runs one function per key, once, sharing its result with concurrent and later callers.
type onceMap struct {
	mu sync.Mutex
	m  map[string]*onceResult
}

type onceResult struct {
	done chan struct{}
	id   string
	err  error
}

func (o *onceMap) do(key string, fn func() (string, error)) (string, error) {
	o.mu.Lock()
	if o.m == nil {
		o.m = map[string]*onceResult{}
	}
	r, ok := o.m[key]
	if !ok {
		r = &onceResult{done: make(chan struct{})}
		o.m[key] = r
	}
	o.mu.Unlock()
	if !ok {
		r.id, r.err = fn()
		close(r.done)
	}
	<-r.done
	return r.id, r.err
}

// api is the engine the stack's calls go to.
func (s *Stack) api() Engine {
	if s.API != nil {
		return s.API
	}
	return s.Eng
}

// Name is the project name.
func (s *Stack) Name() string { return s.Project.Name }

// containers lists the project's containers (one label-filtered call). oneoff selects one-off
// containers (run/train) instead of service containers; services narrows to those services.
func (s *Stack) containers(ctx context.Context, all, oneoff bool, services ...string) ([]container.Summary, error) {
	f := filters.NewArgs(filters.Arg("label", labels.ProjectFilter(s.Name())))
	if oneoff {
		f.Add("label", labels.OneOff+"=True")
	} else {
		f.Add("label", labels.OneOff+"=False")
	}
	if len(services) == 1 {
		f.Add("label", labels.ServiceFilter(services[0]))
	}
	cs, err := s.api().ContainerList(ctx, container.ListOptions{All: all, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list containers of project %q: %w", s.Name(), err)
	}
	if len(services) > 1 {
		want := map[string]bool{}
		for _, n := range services {
			want[n] = true
		}
		kept := cs[:0]
		for _, c := range cs {
			if want[c.Labels[labels.Service]] {
				kept = append(kept, c)
			}
		}
		cs = kept
	}
	sort.Slice(cs, func(i, j int) bool {
		si, sj := cs[i].Labels[labels.Service], cs[j].Labels[labels.Service]
		if si != sj {
			return si < sj
		}
		return number(cs[i]) < number(cs[j])
	})
	return cs, nil
}

func number(c container.Summary) int {
	n, _ := strconv.Atoi(c.Labels[labels.ContainerNumber])
	return n
}

func name(c container.Summary) string {
	if len(c.Names) == 0 {
		return c.ID[:12]
	}
	return strings.TrimPrefix(c.Names[0], "/")
}

// ContainerView is one line of `ps`, in compose's JSON field names.
type ContainerView struct {
	ID         string        `json:"ID"`
	Name       string        `json:"Name"`
	Names      string        `json:"Names"`
	Image      string        `json:"Image"`
	Command    string        `json:"Command"`
	Project    string        `json:"Project"`
	Service    string        `json:"Service"`
	CreatedAt  string        `json:"CreatedAt"`
	Created    int64         `json:"Created"`
	State      string        `json:"State"`
	Status     string        `json:"Status"`
	Health     string        `json:"Health"`
	ExitCode   int           `json:"ExitCode"`
	Publishers []PortPublish `json:"Publishers,omitempty"`
	Ports      string        `json:"Ports"`
	Labels     string        `json:"Labels"`
	Networks   string        `json:"Networks"`
}

// PortPublish is one published port, as compose prints it.
type PortPublish struct {
	URL           string `json:"URL"`
	TargetPort    uint16 `json:"TargetPort"`
	PublishedPort uint16 `json:"PublishedPort"`
	Protocol      string `json:"Protocol"`
}
