package build

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/project"
)

// Set builds a project's services for one command: each image at most once however many callers
// ask for it in parallel, services with identical build sections once (the others get its image
// under their own names), and a service whose Dockerfile builds FROM another service's image only
// after that image is up to date (so the base's new ID reaches the dependent's hash).
type Set struct {
	eng  Engine
	p    *project.Project
	o    Options
	out  func(service string) io.Writer
	deps map[string][]string
	// group maps a service to what its build produces (see buildKey); services of one group share
	// the build of the first of them this command asks for, their leader.
	group map[string]string

	mu      sync.Mutex
	calls   map[string]*call
	leaders map[string]string
}

type call struct {
	done  chan struct{}
	id    string
	built bool
	err   error
}

// NewSet prepares builds of p's services; out gives the writer each service's builder output goes to.
// It fails when services build FROM each other's images in a cycle.
func NewSet(eng Engine, p *project.Project, o Options, out func(service string) io.Writer) (*Set, error) {
	s := &Set{eng: eng, p: p, o: o, out: out, deps: imageDeps(p), group: groups(p), calls: map[string]*call{}, leaders: map[string]string{}}
	if cyc := cycle(s.deps); cyc != nil {
		return nil, fmt.Errorf("services %q build FROM each other's images in a cycle", cyc)
	}
	return s, nil
}

// Image builds svc if its inputs changed (see Service) and returns its image ID; built reports
// whether a build ran for it during this command.
func (s *Set) Image(ctx context.Context, svc types.ServiceConfig) (id string, built bool, err error) {
	key := ImageName(s.p.Name, svc.Name, svc.Build, svc.Image)
	s.mu.Lock()
	if c, ok := s.calls[key]; ok {
		s.mu.Unlock()
		select {
		case <-c.done:
			return c.id, c.built, c.err
		case <-ctx.Done():
			return "", false, context.Cause(ctx)
		}
	}
	c := &call{done: make(chan struct{})}
	s.calls[key] = c
	g := s.group[svc.Name]
	lead, shares := s.leaders[g]
	if !shares && g != "" {
		s.leaders[g] = svc.Name
	}
	s.mu.Unlock()
	defer close(c.done)

	if shares {
		c.id, c.built, c.err = s.shared(ctx, svc, s.p.Services[lead], key)
		return c.id, c.built, c.err
	}
	for _, d := range s.deps[svc.Name] {
		if _, _, err := s.Image(ctx, s.p.Services[d]); err != nil {
			c.err = fmt.Errorf("service %q builds FROM service %q's image: %w", svc.Name, d, err)
			return "", false, c.err
		}
	}
	c.id, c.built, c.err = Service(ctx, s.eng, s.p, svc, s.o, s.out(svc.Name))
	return c.id, c.built, c.err
}

// shared resolves svc through leader's identical build and tags the image with svc's own name.
func (s *Set) shared(ctx context.Context, svc, leader types.ServiceConfig, name string) (string, bool, error) {
	id, built, err := s.Image(ctx, leader)
	if err != nil {
		return "", false, fmt.Errorf("service %q shares service %q's build: %w", svc.Name, leader.Name, err)
	}
	if err := s.eng.ImageTag(ctx, id, name); err != nil {
		return "", false, fmt.Errorf("service %q: tag image %s as %s: %w", svc.Name, id, name, err)
	}
	return id, built, nil
}

// groups maps each service with build: to what its build produces, so services whose build
// sections are identical (same context, Dockerfile, args, target, labels and the rest) share one.
func groups(p *project.Project) map[string]string {
	out := map[string]string{}
	for n, svc := range p.Services {
		if svc.Build == nil {
			continue
		}
		if key, err := buildKey(p.WorkingDir, svc); err == nil {
			out[n] = key
		}
	}
	return out
}

// buildKey identifies what a build produces: the build section with its context made absolute and
// its extra tags left out (each service keeps its own names), and a pull_policy that forces builds.
func buildKey(dir string, svc types.ServiceConfig) (string, error) {
	b := *svc.Build
	b.Tags = nil
	if b.Context == "" {
		b.Context = "."
	}
	if !filepath.IsAbs(b.Context) && !isRemoteContext(b.Context) {
		b.Context = filepath.Join(dir, b.Context)
	}
	data, err := json.Marshal(struct {
		Build  types.BuildConfig
		Policy string
	}{b, svc.PullPolicy})
	return string(data), err
}

// imageDeps maps each service with build: to the services whose built image its Dockerfile uses.
// Dockerfiles that cannot be read are skipped here; Service reports them.
func imageDeps(p *project.Project) map[string][]string {
	byImage := map[string]string{}
	for name, svc := range p.Services {
		if svc.Build != nil {
			byImage[ImageName(p.Name, name, svc.Build, svc.Image)] = name
		}
	}
	deps := map[string][]string{}
	for name, svc := range p.Services {
		if svc.Build == nil {
			continue
		}
		c, err := New(p.WorkingDir, name, svc.Build)
		if err != nil {
			continue
		}
		bases, err := c.BaseImages()
		if err != nil {
			continue
		}
		for _, ref := range bases {
			if d, ok := byImage[ref]; ok && d != name {
				deps[name] = append(deps[name], d)
			} else if d, ok := byImage[ref+":latest"]; ok && d != name {
				deps[name] = append(deps[name], d)
			}
		}
	}
	return deps
}

// cycle returns the members of a dependency cycle, sorted, or nil.
func cycle(deps map[string][]string) []string {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var stack []string
	var found []string
	var visit func(n string) bool
	visit = func(n string) bool {
		switch state[n] {
		case visiting:
			for i := len(stack) - 1; i >= 0; i-- {
				found = append(found, stack[i])
				if stack[i] == n {
					break
				}
			}
			return true
		case done:
			return false
		}
		state[n] = visiting
		stack = append(stack, n)
		for _, d := range deps[n] {
			if visit(d) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return false
	}
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if visit(n) {
			sort.Strings(found)
			return found
		}
	}
	return nil
}
