package dashboard

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The stack graph's geometry in CSS pixels; style.css lays the columns out with the same sizes
// (.graph's padding and gap, .col's gap, .node's size), so edges drawn from these meet the nodes.
const (
	graphPad = 10
	nodeW    = 250
	nodeH    = 164
	gapX     = 70
	gapY     = 22
)

// stackView is the stack view as the server renders it, in the page and on every change.
type stackView struct {
	// Connecting is true until the engine's containers have been listed once.
	Connecting bool
	Engine     string
	Width      int
	Height     int
	Edges      []edgeView
	// Columns hold the nodes, each service one column right of its deepest dependency.
	Columns [][]nodeView
}

// edgeView is one depends_on arrow, from the dependency to the service that waits for it.
type edgeView struct {
	From, To, Cond string
	Path, Arrow    string
}

// nodeView is one service's box.
type nodeView struct {
	Name     string
	Disabled bool
	// Status is the one word (data-status), StatusClass its colour, StatusText what the box says.
	Status, StatusClass, StatusText string
	// Containers says "N/M containers running" for a service with more than one.
	Containers string
	Image      string
	// Since is the running container's start (RFC 3339), Uptime the time since then.
	Since, Uptime string
	ProfileOff    string
	Ports         []portView
	Probes        []string
	Restartable   bool
}

// portView is one published port: a link for TCP.
type portView struct {
	Href, Label string
}

// point is a node's top-left corner in the graph, in CSS pixels.
type point struct{ x, y int }

// newStackView lays out the state's services at now.
func newStackView(s State, now time.Time) stackView {
	v := stackView{Connecting: s.Version == 0, Engine: s.Engine}
	cols := columns(s.Services)
	pos := map[string]point{}
	rows := 0
	for x, col := range cols {
		nodes := make([]nodeView, 0, len(col))
		for y, svc := range col {
			pos[svc.Name] = point{graphPad + x*(nodeW+gapX), graphPad + y*(nodeH+gapY)}
			nodes = append(nodes, newNodeView(svc, now))
		}
		rows = max(rows, len(col))
		v.Columns = append(v.Columns, nodes)
	}
	v.Width = 2*graphPad + len(cols)*(nodeW+gapX) - gapX
	// Below the last row is room for the edges that run under it (style.css pads .graph's bottom so).
	v.Height = 2*graphPad + rows*(nodeH+gapY)
	v.Edges = edges(s.Services, pos)
	return v
}

// link is one depends_on edge being laid out: ends[0] is the dependency, ends[1] the service that
// waits for it; y[0] is where it leaves the dependency's right side, y[1] where it meets the
// service's left side.
type link struct {
	ends [2]string
	cond string
	y    [2]float64
}

// edges draws the depends_on arrows between the nodes at pos.
func edges(services []Service, pos map[string]point) []edgeView {
	var links []*link
	for _, svc := range services {
		for _, d := range svc.DependsOn {
			if _, ok := pos[d.Service]; ok {
				links = append(links, &link{ends: [2]string{d.Service, svc.Name}, cond: d.Condition})
			}
		}
	}
	// Each node's outgoing (side 0) and incoming (side 1) edges spread over its side, in the order
	// of their other ends.
	for side := range 2 {
		groups := map[string][]*link{}
		for _, l := range links {
			groups[l.ends[side]] = append(groups[l.ends[side]], l)
		}
		for name, ls := range groups {
			slices.SortStableFunc(ls, func(a, b *link) int {
				pa, pb := pos[a.ends[1-side]], pos[b.ends[1-side]]
				return cmp.Or(pa.y-pb.y, pa.x-pb.x)
			})
			for i, l := range ls {
				l.y[side] = float64(pos[name].y) + float64(nodeH*(i+1))/float64(len(ls)+1)
			}
		}
	}
	out := make([]edgeView, 0, len(links))
	for _, l := range links {
		a, b := pos[l.ends[0]], pos[l.ends[1]]
		x1, y1, x2, y2 := float64(a.x+nodeW), l.y[0], float64(b.x), l.y[1]
		var d string
		if x2-x1 <= gapX {
			mx := (x1 + x2) / 2
			d = fmt.Sprintf("M%s,%s C%s,%s %s,%s %s,%s", px(x1), px(y1), px(mx), px(y1), px(mx), px(y2), px(x2-6), px(y2))
		} else {
			// An edge across columns runs in the gap below its source's row, clear of the nodes between.
			gy, h := float64(a.y+nodeH+gapY/2), float64(gapX)/2
			d = fmt.Sprintf("M%s,%s C%s,%s %s,%s %s,%s L%s,%s C%s,%s %s,%s %s,%s",
				px(x1), px(y1), px(x1+h), px(y1), px(x1+h), px(gy), px(x1+gapX), px(gy),
				px(x2-gapX), px(gy), px(x2-h), px(gy), px(x2-h), px(y2), px(x2-6), px(y2))
		}
		out = append(out, edgeView{From: l.ends[0], To: l.ends[1], Cond: l.cond, Path: d,
			Arrow: fmt.Sprintf("%s,%s %s,%s %s,%s", px(x2), px(y2), px(x2-8), px(y2-4), px(x2-8), px(y2+4))})
	}
	return out
}

// px writes a coordinate to a tenth of a pixel.
func px(v float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") }

// columns places each service one column right of its deepest dependency; a cycle (which a
// loaded project cannot have, but labels of old containers might) counts as depth 0.
func columns(services []Service) [][]Service {
	byName := map[string]Service{}
	for _, s := range services {
		byName[s.Name] = s
	}
	depth := map[string]int{}
	var visit func(n string, seen map[string]bool) int
	visit = func(n string, seen map[string]bool) int {
		if d, ok := depth[n]; ok {
			return d
		}
		if seen[n] {
			return 0
		}
		seen[n] = true
		d := 0
		for _, dep := range byName[n].DependsOn {
			if _, ok := byName[dep.Service]; ok {
				d = max(d, visit(dep.Service, seen)+1)
			}
		}
		depth[n] = d
		return d
	}
	var cols [][]Service
	for _, s := range services {
		d := visit(s.Name, map[string]bool{})
		for len(cols) <= d {
			cols = append(cols, nil)
		}
		cols[d] = append(cols[d], s)
	}
	return cols
}

func newNodeView(svc Service, now time.Time) nodeView {
	n := nodeView{Name: svc.Name, Disabled: !svc.Enabled, Image: svc.Image, Status: "not created", StatusClass: "s-not-created", StatusText: "not created"}
	cs := svc.Containers
	running := 0
	for _, c := range cs {
		if c.running() {
			running++
		}
	}
	if len(cs) > 1 {
		n.Containers = fmt.Sprintf("%d/%d containers running", running, len(cs))
	}
	if len(cs) > 0 {
		main := cs[0]
		if i := slices.IndexFunc(cs, Container.running); i >= 0 {
			main = cs[i]
		}
		n.Status, n.StatusText = main.Status, statusText(main)
		n.StatusClass = "s-" + strings.ReplaceAll(main.Status, " ", "-")
		if main.Status == "exited" && main.ExitCode == 0 {
			n.StatusClass = "s-completed"
		}
		if main.running() && !main.StartedAt.IsZero() {
			n.Since, n.Uptime = main.StartedAt.Format(time.RFC3339Nano), uptime(now.Sub(main.StartedAt))
		}
		n.Restartable = true
	}
	if !svc.Enabled {
		n.ProfileOff = "profile " + strings.Join(svc.Profiles, ",") + " off"
	}
	for _, c := range cs {
		for _, p := range c.Ports {
			host := browserHost(p.HostIP)
			label := fmt.Sprintf("%s:%d→%d", host, p.Published, p.Target)
			if p.Proto == "tcp" {
				n.Ports = append(n.Ports, portView{Href: fmt.Sprintf("http://%s:%d/", host, p.Published), Label: label})
			} else {
				n.Ports = append(n.Ports, portView{Label: label + "/" + p.Proto})
			}
		}
		if c.Probe != "" {
			n.Probes = append(n.Probes, c.Probe)
		}
	}
	return n
}

func (c Container) running() bool { return c.State == "running" || c.State == "restarting" }

// statusText is what a service's box says about its main container.
func statusText(c Container) string {
	switch {
	case c.Status == "exited":
		return fmt.Sprintf("exited (%d)", c.ExitCode)
	case c.Status == "restarting" || c.Restarts > 0 && c.running():
		return fmt.Sprintf("%s (restarts: %d)", c.Status, c.Restarts)
	}
	return c.Status
}

// uptime writes a duration as app.js's dur() does, which refreshes it every second.
func uptime(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case d < 0:
		return ""
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 48*3600:
		return fmt.Sprintf("%dh%02dm", s/3600, s/60%60)
	}
	return fmt.Sprintf("%dd%dh", s/86400, s/3600%24)
}

// renderStack writes the stack view's HTML; html/template escapes every value from the engine,
// the compose files and the containers for the place it lands.
func (a *assets) renderStack(v stackView) (string, error) {
	var b bytes.Buffer
	if err := a.tmpl.ExecuteTemplate(&b, "stack", v); err != nil {
		return "", fmt.Errorf("dashboard: render the stack view: %w", err)
	}
	return b.String(), nil
}
