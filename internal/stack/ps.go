package stack

import (
	"context"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/ui"
)

// PsOptions are `mlstack ps`'s choices.
type PsOptions struct {
	All      bool
	Services []string
	Format   string // table (default) or json
	Quiet    bool
	Status   string
}

var exitedRe = regexp.MustCompile(`^Exited \((-?\d+)\)`)

// statusHealth reads the health a container list reports in its Status text ("Up 3s (healthy)").
func statusHealth(status string) string {
	switch {
	case strings.Contains(status, "(healthy)"):
		return "healthy"
	case strings.Contains(status, "(unhealthy)"):
		return "unhealthy"
	case strings.Contains(status, "(health: starting)"):
		return "starting"
	}
	return ""
}

// statusExitCode reads the exit code from a container list's Status text ("Exited (3) 2s ago").
func statusExitCode(status string) int {
	if m := exitedRe.FindStringSubmatch(status); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// Views lists the project's service containers from one label-filtered call; labels and the list
// summary say everything ps shows, so no per-container inspect is made.
func (s *Stack) Views(ctx context.Context, o PsOptions) ([]ContainerView, error) {
	cs, err := s.containers(ctx, o.All || o.Status != "", false, o.Services...)
	if err != nil {
		return nil, err
	}
	var out []ContainerView
	for _, c := range cs {
		if o.Status != "" && c.State != o.Status {
			continue
		}
		out = append(out, view(c))
	}
	return out, nil
}

func view(c container.Summary) ContainerView {
	v := ContainerView{
		ID: c.ID, Name: name(c), Names: name(c), Image: c.Image, Command: strconv.Quote(c.Command),
		Project: c.Labels[labels.Project], Service: c.Labels[labels.Service],
		Created: c.Created, CreatedAt: time.Unix(c.Created, 0).Format("2006-01-02 15:04:05 -0700 MST"),
		State: c.State, Status: c.Status, Publishers: []PortPublish{},
	}
	v.Health, v.ExitCode = statusHealth(c.Status), statusExitCode(c.Status)
	var ports []string
	sort.Slice(c.Ports, func(i, j int) bool { return c.Ports[i].PrivatePort < c.Ports[j].PrivatePort })
	for _, p := range c.Ports {
		v.Publishers = append(v.Publishers, PortPublish{URL: p.IP, TargetPort: p.PrivatePort, PublishedPort: p.PublicPort, Protocol: p.Type})
		if p.PublicPort != 0 {
			ports = append(ports, fmt.Sprintf("%s:%d->%d/%s", p.IP, p.PublicPort, p.PrivatePort, p.Type))
		} else {
			ports = append(ports, fmt.Sprintf("%d/%s", p.PrivatePort, p.Type))
		}
	}
	v.Ports = strings.Join(ports, ", ")
	var ls []string
	for k, val := range c.Labels {
		ls = append(ls, k+"="+val)
	}
	sort.Strings(ls)
	v.Labels = strings.Join(ls, ",")
	if c.NetworkSettings != nil {
		v.Networks = strings.Join(slices.Sorted(maps.Keys(c.NetworkSettings.Networks)), ",")
	}
	return v
}

// WritePs prints views as compose does: a table, or one JSON object per line.
func (s *Stack) WritePs(w io.Writer, views []ContainerView, o PsOptions) error {
	switch o.Format {
	case "json":
		return ui.WriteJSONLines(w, views)
	case "", "table":
		if o.Quiet {
			for _, v := range views {
				fmt.Fprintln(w, v.ID)
			}
			return nil
		}
		rows := [][]string{{"NAME", "IMAGE", "SERVICE", "STATUS", "PORTS"}}
		for _, v := range views {
			rows = append(rows, []string{v.Name, v.Image, v.Service, v.Status, v.Ports})
		}
		s.UI.Table(rows)
		return nil
	}
	return fmt.Errorf("unknown --format %q: use table or json", o.Format)
}
