package stack

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/ui"
)

// LsOptions are `mlstack ls`'s choices.
type LsOptions struct {
	// All includes projects whose containers are all stopped.
	All    bool
	Format string // table (default) or json
	Quiet  bool
	// Name keeps only the project with this name (--filter name=...).
	Name string
}

// ProjectView is one line of `ls`, in compose's JSON field names.
type ProjectView struct {
	Name        string `json:"Name"`
	Status      string `json:"Status"`
	ConfigFiles string `json:"ConfigFiles"`
}

// ListProjects lists every compose project on the engine (made by mlstack or compose) from container
// labels alone, with a status like compose's "exited(1), running(2)".
func ListProjects(ctx context.Context, eng Engine, o LsOptions) ([]ProjectView, error) {
	f := filters.NewArgs(filters.Arg("label", labels.Project))
	if o.Name != "" {
		f = filters.NewArgs(filters.Arg("label", labels.ProjectFilter(o.Name)))
	}
	cs, err := eng.ContainerList(ctx, container.ListOptions{All: o.All, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list compose containers: %w", err)
	}
	type acc struct {
		states map[string]int
		files  []string
	}
	byProject := map[string]*acc{}
	for _, c := range cs {
		p := c.Labels[labels.Project]
		a, ok := byProject[p]
		if !ok {
			a = &acc{states: map[string]int{}}
			byProject[p] = a
		}
		a.states[c.State]++
		for _, f := range strings.Split(c.Labels[labels.ConfigFiles], ",") {
			if f != "" && !slices.Contains(a.files, f) {
				a.files = append(a.files, f)
			}
		}
	}
	out := make([]ProjectView, 0, len(byProject))
	for _, p := range slices.Sorted(maps.Keys(byProject)) {
		a := byProject[p]
		out = append(out, ProjectView{Name: p, Status: CombinedStatus(a.states), ConfigFiles: strings.Join(a.files, ",")})
	}
	return out, nil
}

// CombinedStatus renders container counts by state as compose does: "exited(1), running(2)".
func CombinedStatus(states map[string]int) string {
	keys := make([]string, 0, len(states))
	for k := range states {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s(%d)", k, states[k])
	}
	return strings.Join(parts, ", ")
}

// WriteProjects prints project views as a table, names only (quiet) or a JSON array.
func WriteProjects(w io.Writer, table func([][]string), views []ProjectView, o LsOptions) error {
	switch o.Format {
	case "json":
		return ui.WriteJSONArray(w, views)
	case "", "table":
		if o.Quiet {
			for _, v := range views {
				fmt.Fprintln(w, v.Name)
			}
			return nil
		}
		rows := [][]string{{"NAME", "STATUS", "CONFIG FILES"}}
		for _, v := range views {
			rows = append(rows, []string{v.Name, v.Status, v.ConfigFiles})
		}
		table(rows)
		return nil
	}
	return fmt.Errorf("unknown --format %q: use table or json", o.Format)
}
