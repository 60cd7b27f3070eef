package stack

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/mlstack/mlstack/internal/graph"
	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/progress"
	"github.com/mlstack/mlstack/internal/ui"
)

// DownOptions are `mlstack down`'s choices.
type DownOptions struct {
	Volumes       bool
	RemoveOrphans bool
	StopTimeout   *int
	// Rmi removes images after the containers: "local" (built for the project, no image: tag) or "all".
	Rmi string
	// EndedJobs names the one-off containers whose run record is finished or lost (what a killed
	// mlstack left): down removes them once exited. Other one-offs (a job running in another
	// terminal, a `run --rm=false` kept on purpose) stay unless RemoveOrphans.
	EndedJobs map[string]bool
}

// Down stops and removes the project's containers (dependents first), its networks, and with
// Volumes its named volumes. Only resources carrying this project's label are touched.
func (s *Stack) Down(ctx context.Context, o DownOptions) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	f := filters.NewArgs(filters.Arg("label", labels.ProjectFilter(s.Name())))
	cs, err := s.api().ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return fmt.Errorf("list containers of project %q: %w", s.Name(), err)
	}
	known := s.Project.All
	byService := map[string][]container.Summary{}
	var orphans, jobs []container.Summary
	for _, c := range cs {
		svc := c.Labels[labels.Service]
		if c.Labels[labels.OneOff] == "True" && !o.RemoveOrphans && !(c.State == "exited" && o.EndedJobs[name(c)]) {
			jobs = append(jobs, c)
			continue
		}
		if _, ok := known[svc]; !ok && len(known) > 0 && !o.RemoveOrphans && c.Labels[labels.OneOff] != "True" {
			s.UI.Warn("found orphan container %s of service %q, which the project no longer has; `mlstack down --remove-orphans` removes it", name(c), svc)
			orphans = append(orphans, c)
			continue
		}
		byService[svc] = append(byService[svc], c)
	}
	warnLeftJobs(s.UI, jobs)
	names := slices.Sorted(maps.Keys(byService))
	// Stops run all at once (they mostly wait out grace periods); removals, which tear down network
	// endpoints inside the engine, are bounded: a burst of a hundred at once has left Docker 20.10
	// with networks it believes still have endpoints.
	removals := make(chan struct{}, parallelStarts())
	remove := func(ctx context.Context, svc string) error {
		return parallel(ctx, ids(byService[svc]), func(ctx context.Context, id string) error {
			for _, c := range byService[svc] {
				if c.ID == id {
					grace := ""
					if c.State == "running" {
						grace = graceDetail(o.StopTimeout, known[svc])
					}
					s.emit(svc, progress.Stopping, grace)
					if err := s.stopThenRemove(ctx, id, name(c), o.StopTimeout, removals); err != nil {
						s.emit(svc, progress.Failed, err.Error())
						return err
					}
					s.emit(svc, progress.Removed, "")
					return nil
				}
			}
			return nil
		})
	}
	// Dependents stop before what they depend on; services outside the graph stop in parallel.
	inGraph := map[string]bool{}
	g, gerr := graph.New(known)
	if gerr == nil {
		for _, n := range names {
			if _, ok := known[n]; ok {
				inGraph[n] = true
			}
		}
	}
	var graphNames, rest []string
	for _, n := range names {
		if inGraph[n] {
			graphNames = append(graphNames, n)
		} else {
			rest = append(rest, n)
		}
	}
	if len(graphNames) > 0 {
		if err := g.Walk(ctx, graphNames, true, remove); err != nil {
			return err
		}
	}
	if err := parallel(ctx, rest, remove); err != nil {
		return err
	}
	if err := s.removeImages(ctx, o.Rmi, cs); err != nil {
		return err
	}

	nets, err := s.api().NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return fmt.Errorf("list networks of project %q: %w", s.Name(), err)
	}
	sort.Slice(nets, func(i, j int) bool { return nets[i].Name < nets[j].Name })
	for _, n := range nets {
		if users := attachedTo(orphans, n.Name); len(users) > 0 {
			return fmt.Errorf("network %s is still used by orphan container %s (a service the project no longer has); run `mlstack down --remove-orphans` to remove it with the rest", n.Name, strings.Join(users, ", "))
		}
		if users := attachedTo(jobs, n.Name); len(users) > 0 {
			s.UI.Warn("left network %s in place: one-off container %s still uses it; `mlstack down --remove-orphans` removes it too", n.Name, strings.Join(users, ", "))
			continue
		}
		if err := s.removeNetwork(ctx, n.ID); err != nil && !isNotFound(err) {
			return fmt.Errorf("remove network %s: %w", n.Name, err)
		}
		s.UI.Status("Network "+n.Name, "Removed")
	}
	if o.Volumes {
		vols, err := s.api().VolumeList(ctx, volume.ListOptions{Filters: f})
		if err != nil {
			return fmt.Errorf("list volumes of project %q: %w", s.Name(), err)
		}
		for _, v := range vols.Volumes {
			if err := s.api().VolumeRemove(ctx, v.Name, false); err != nil && !isNotFound(err) {
				return fmt.Errorf("remove volume %s: %w", v.Name, err)
			}
			s.UI.Status("Volume "+v.Name, "Removed")
		}
	}
	return nil
}

// warnLeftJobs names, in one warning, the one-off containers down leaves and why.
func warnLeftJobs(u *ui.Streams, jobs []container.Summary) {
	if len(jobs) == 0 {
		return
	}
	var left []string
	for _, c := range jobs {
		why := "kept"
		if c.State == "running" || c.State == "restarting" || c.State == "paused" {
			why = "running"
		}
		left = append(left, fmt.Sprintf("%s (%s)", name(c), why))
	}
	slices.Sort(left)
	u.Warn("left one-off container %s: a job of another terminal or a container kept on purpose; `mlstack down --remove-orphans` stops and removes them too", strings.Join(left, ", "))
}

// attachedTo names the containers of cs connected to the network netName.
func attachedTo(cs []container.Summary, netName string) []string {
	var out []string
	for _, c := range cs {
		if c.NetworkSettings == nil {
			continue
		}
		if _, ok := c.NetworkSettings.Networks[netName]; ok {
			out = append(out, name(c))
		}
	}
	return out
}

func ids(cs []container.Summary) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// stopThenRemove stops a container with its grace period, then removes it holding one of slots.
func (s *Stack) stopThenRemove(ctx context.Context, id, cname string, timeout *int, slots chan struct{}) error {
	if err := s.api().ContainerStop(ctx, id, container.StopOptions{Timeout: timeout}); err != nil && !isNotFound(err) {
		return fmt.Errorf("stop container %s: %w", cname, err)
	}
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	defer func() { <-slots }()
	if err := s.api().ContainerRemove(ctx, id, container.RemoveOptions{Force: true}); err != nil && !isNotFound(err) {
		if !strings.Contains(err.Error(), "already in progress") {
			return fmt.Errorf("remove container %s: %w", cname, err)
		}
		// Another remover (a job's own mlstack, its --rm) got there first: the network can only go
		// once the container is gone, so wait for that rather than fail.
		if err := s.waitRemoved(ctx, id, cname); err != nil {
			return err
		}
	}
	s.UI.Status("Container "+cname, "Removed")
	return nil
}

// removalWait bounds waitRemoved: a removal already under way finishes in well under this.
const removalWait = 30 * time.Second

// waitRemoved waits until the engine no longer knows the container, re-reading it until then.
func (s *Stack) waitRemoved(ctx context.Context, id, cname string) error {
	deadline := time.Now().Add(removalWait)
	for {
		_, err := s.api().ContainerInspect(ctx, id)
		if isNotFound(err) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("container %s: its removal by another process did not finish within %s", cname, removalWait)
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// removeNetwork removes a network, giving the engine a moment when it still counts endpoints of
// containers removed an instant ago (their teardown finishes after the remove call returns).
func (s *Stack) removeNetwork(ctx context.Context, id string) error {
	delay := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := s.api().NetworkRemove(ctx, id)
		if err == nil || !strings.Contains(err.Error(), "active endpoints") {
			return err
		}
		if attempt == 6 {
			return fmt.Errorf("%w (the engine still counts endpoints of removed containers; a known Docker 20.10 issue after many removals at once, cleared by restarting dockerd)", err)
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		delay *= 2
	}
}
