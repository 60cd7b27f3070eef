package stack

import (
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/labels"
)

// preflight maps every planned container to its create request once, without creating it, so that a
// bad mount, network, restart policy or port clash is refused before the first resource exists.
func (s *Stack) preflight(ctx context.Context, plans map[string]*plan) error {
	type hostPort struct{ ip, port, proto string }
	owner := map[hostPort]string{}
	for _, n := range slices.Sorted(maps.Keys(plans)) {
		pl := plans[n]
		if _, err := ContainerSpec(SpecInput{Project: s.Project.Project, Service: pl.svc, Number: 1, ConfigHash: pl.hash, ImageID: pl.imageID, APIVersion: s.api().ClientVersion()}); err != nil {
			return err
		}
		if err := checkRestart(pl.svc); err != nil {
			return err
		}
		for _, pc := range pl.svc.Ports {
			if pc.Published == "" || strings.Contains(pc.Published, "-") || pl.scale > 1 {
				continue
			}
			proto := pc.Protocol
			if proto == "" {
				proto = "tcp"
			}
			for hp, other := range owner {
				clash := hp.port == pc.Published && hp.proto == proto && (hp.ip == pc.HostIP || hp.ip == "" || pc.HostIP == "" || hp.ip == "0.0.0.0" || pc.HostIP == "0.0.0.0")
				switch {
				case clash && other == n:
					return fmt.Errorf("service %q publishes host port %s/%s twice (services.%s.ports); the engine gives a host port to one mapping only", n, pc.Published, proto, n)
				case clash:
					return fmt.Errorf("services %q and %q both publish host port %s/%s (services.%s.ports); give one of them another port", other, n, pc.Published, proto, n)
				}
			}
			owner[hostPort{pc.HostIP, pc.Published, proto}] = n
		}
	}
	return nil
}

// checkRestart refuses a restart policy the engine would reject at create.
func checkRestart(svc types.ServiceConfig) error {
	if svc.Restart == "" {
		return nil
	}
	name, max, hasMax := strings.Cut(svc.Restart, ":")
	switch name {
	case "no", "always", "unless-stopped":
		if !hasMax {
			return nil
		}
	case "on-failure":
		if !hasMax {
			return nil
		}
		if n, err := strconv.Atoi(max); err == nil && n >= 0 {
			return nil
		}
	}
	return fmt.Errorf("services.%s.restart: invalid restart policy %q (use no, always, unless-stopped, or on-failure[:max-retries])", svc.Name, svc.Restart)
}

// checkPorts refuses, before anything is created, a published host port that something else holds.
// It can only look where the engine is local; the engine's own answer at start covers the rest.
func (s *Stack) checkPorts(plans map[string]*plan, existing map[string][]container.Summary, o UpOptions) error {
	if !s.api().IsLocal() {
		return nil
	}
	ours := map[string]bool{}
	for _, cs := range existing {
		for _, c := range cs {
			for _, pt := range c.Ports {
				if pt.PublicPort != 0 {
					ours[fmt.Sprintf("%d/%s", pt.PublicPort, pt.Type)] = true
				}
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(plans)) {
		pl := plans[n]
		for _, pc := range pl.svc.Ports {
			if pc.Published == "" || strings.Contains(pc.Published, "-") {
				continue
			}
			proto := pc.Protocol
			if proto == "" {
				proto = "tcp"
			}
			if ours[pc.Published+"/"+proto] {
				continue
			}
			ip := pc.HostIP
			if ip == "" {
				ip = "0.0.0.0"
			}
			addr := net.JoinHostPort(ip, pc.Published)
			if proto == "tcp" {
				l, err := net.Listen("tcp", addr)
				if err != nil {
					return fmt.Errorf("service %q: port %s is already in use on this host (services.%s.ports: %s:%d); stop what holds it or publish another port", n, addr, n, pc.Published, pc.Target)
				}
				l.Close()
			}
		}
	}
	return nil
}

// checkNamesFree refuses, before anything is created, a container name up would create (a fixed
// container_name or a generated <project>-<service>-<n>) that a container outside this project holds.
// Only names up has no container of its own for are looked up, so an unchanged up makes no call; the
// others are looked up in one list of the engine's containers, not one inspect each (a 100-service
// cold up made 100 calls in a row before its first create).
func (s *Stack) checkNamesFree(ctx context.Context, plans map[string]*plan, existing map[string][]container.Summary) error {
	type want struct {
		service string
		fixed   bool
	}
	wanted := map[string]want{}
	for n, pl := range plans {
		for num := 1; num <= pl.scale; num++ {
			cn := ContainerName(s.Name(), pl.svc, num)
			if !slices.ContainsFunc(existing[n], func(c container.Summary) bool { return name(c) == cn }) {
				wanted[cn] = want{service: n, fixed: pl.svc.ContainerName != ""}
			}
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	all, err := s.api().ContainerList(ctx, container.ListOptions{All: true})
	if err != nil {
		return fmt.Errorf("list containers to check the names up creates: %w", err)
	}
	// Sorted, so the error names the same container every time.
	slices.SortFunc(all, func(a, b container.Summary) int { return strings.Compare(name(a), name(b)) })
	for _, c := range all {
		w, ok := wanted[name(c)]
		if !ok {
			continue
		}
		cn, n := name(c), w.service
		owner := "no compose project"
		if p := c.Labels[labels.Project]; p != "" {
			owner = "project " + p
		}
		if w.fixed {
			return fmt.Errorf("service %q: container_name %q is already used by container %s (%s); remove it or choose another name", n, cn, c.ID[:12], owner)
		}
		return fmt.Errorf("service %q: its container name %q is already used by container %s (%s); remove that container (docker rm -f %s) or give this project another name with -p", n, cn, c.ID[:12], owner, cn)
	}
	return nil
}

// orphans handles containers of services the project no longer has (or has switched off).
func (s *Stack) orphans(ctx context.Context, byService map[string][]container.Summary, remove bool) error {
	p := s.Project
	disabled, err := p.State.DisabledProfiles()
	if err != nil {
		return err
	}
	for _, svc := range slices.Sorted(maps.Keys(byService)) {
		if _, ok := p.Services[svc]; ok {
			continue
		}
		if all, ok := p.All[svc]; ok {
			// A service of a profile that is off now is left alone, as compose leaves it, unless the
			// user turned its profile off with `mlstack profile disable`.
			prof := disabledProfile(all.Profiles, disabled)
			if prof == "" {
				continue
			}
			s.UI.Info("Profile %q is disabled: removing service %q", prof, svc)
			for _, c := range byService[svc] {
				if err := s.removeContainer(ctx, c.ID, name(c), nil); err != nil {
					return err
				}
			}
			continue
		}
		for _, c := range byService[svc] {
			if !remove {
				s.UI.Warn("found orphan container %s of service %q, which the project no longer has; `mlstack up --remove-orphans` removes it", name(c), svc)
				continue
			}
			if err := s.removeContainer(ctx, c.ID, name(c), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// disabledProfile returns the first of a service's profiles that was explicitly disabled, or "".
func disabledProfile(profiles, disabled []string) string {
	for _, p := range profiles {
		for _, d := range disabled {
			if p == d {
				return p
			}
		}
	}
	return ""
}
