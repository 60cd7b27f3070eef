package e2e

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/mlstack/mlstack/internal/labels"
	"github.com/mlstack/mlstack/internal/testenv"
)

const profileStack = `
services:
  web:
    image: ${FIXTURE}
    command: ["serve"]
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms}
  metrics:
    image: ${FIXTURE}
    command: ["serve"]
    profiles: [monitoring]
    healthcheck: {test: ["CMD", "/fixture", "probe"], interval: 500ms}
    depends_on:
      web: {condition: service_healthy}
  debugger:
    image: ${FIXTURE}
    command: ["sleep"]
    profiles: [debug]
`

// profRunning returns the running services of the project, sorted, and their container IDs.
func profRunning(p *testenv.Project) ([]string, map[string]string) {
	var names []string
	ids := map[string]string{}
	for _, c := range p.Containers() {
		if c.State == "running" {
			s := c.Labels[labels.Service]
			names = append(names, s)
			ids[s] = c.ID
		}
	}
	sort.Strings(names)
	return names, ids
}

func profileLine(t *testing.T, list, name string) string {
	t.Helper()
	for _, l := range strings.Split(list, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == name {
			return l
		}
	}
	t.Fatalf("profile list has no line for %s:\n%s", name, list)
	return ""
}

func TestProfileEnableDisableReconciles(t *testing.T) {
	p := testenv.NewProject(t, profileStack)
	p.MustRun("up", "-d", "--wait")
	if got, _ := profRunning(p); strings.Join(got, ",") != "web" {
		t.Fatalf("running after plain up = %v, want [web]", got)
	}

	p.MustRun("profile", "enable", "monitoring")
	p.MustRun("up", "-d", "--wait")
	got, ids := profRunning(p)
	if strings.Join(got, ",") != "metrics,web" {
		t.Fatalf("running after enabling monitoring = %v, want [metrics web]", got)
	}
	if in := p.Inspect("metrics"); in.State.Health == nil || in.State.Health.Status != "healthy" {
		t.Errorf("metrics is not healthy after up --wait: %+v", in.State.Health)
	}
	line := profileLine(t, p.MustRun("profile", "list").Stdout, "monitoring")
	if f := strings.Fields(line); f[1] != "on" || !strings.Contains(line, "persisted") || !strings.Contains(line, "metrics") {
		t.Errorf("profile list line = %q, want monitoring on, persisted, with service metrics", line)
	}
	if f := strings.Fields(profileLine(t, p.MustRun("profile", "list").Stdout, "debug")); f[1] != "off" {
		t.Errorf("debug is %s, want off", f[1])
	}

	p.MustRun("profile", "disable", "monitoring")
	r := p.MustRun("up", "-d", "--wait")
	got, ids2 := profRunning(p)
	if strings.Join(got, ",") != "web" {
		t.Fatalf("running after disabling monitoring = %v, want [web]", got)
	}
	if ids2["web"] != ids["web"] {
		t.Errorf("web was recreated when monitoring was disabled")
	}
	for _, c := range p.Containers() {
		if c.Labels[labels.Service] == "metrics" {
			t.Errorf("metrics container %s (%s) left behind", c.Names[0], c.State)
		}
	}
	if !strings.Contains(r.Stderr, `"monitoring"`) || !strings.Contains(r.Stderr, "metrics") {
		t.Errorf("up did not say it removed metrics because monitoring is disabled:\n%s", r.Stderr)
	}
	var rows []struct {
		Name     string
		Enabled  bool
		Why      string
		Services []string
	}
	if err := json.Unmarshal([]byte(p.MustRun("profile", "list", "--format", "json").Stdout), &rows); err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if row.Name == "monitoring" && (row.Enabled || row.Why != "disabled") {
			t.Errorf("json row for monitoring = %+v, want off and disabled", row)
		}
	}
}

// --profile and COMPOSE_PROFILES add to the persisted profiles for one command; a profile named only
// once is left running by the next up, as compose leaves it.
func TestProfileForOneCommand(t *testing.T) {
	p := testenv.NewProject(t, profileStack)
	p.MustRun("profile", "enable", "monitoring")
	r := p.RunEnv([]string{"COMPOSE_PROFILES=debug"}, "config", "--services")
	if r.Code != 0 || strings.Join(strings.Fields(r.Stdout), ",") != "debugger,metrics,web" {
		t.Fatalf("COMPOSE_PROFILES=debug config --services = %q (exit %d, %s), want debugger, metrics, web", r.Stdout, r.Code, r.Stderr)
	}
	r = p.RunEnv([]string{"COMPOSE_PROFILES=debug"}, "profile", "list")
	if line := profileLine(t, r.Stdout, "debug"); !strings.Contains(line, " on ") || !strings.Contains(line, "COMPOSE_PROFILES") {
		t.Errorf("debug line = %q, want on from COMPOSE_PROFILES", line)
	}
	if line := profileLine(t, p.MustRun("--profile", "debug", "profile", "list").Stdout, "debug"); !strings.Contains(line, "--profile") {
		t.Errorf("debug line = %q, want on from --profile", line)
	}
	if line := profileLine(t, p.MustRun("profile", "list").Stdout, "debug"); !strings.Contains(line, " off ") {
		t.Errorf("debug line without the flag = %q, want off", line)
	}

	p.MustRun("--profile", "debug", "up", "-d", "--wait")
	if got, _ := profRunning(p); strings.Join(got, ",") != "debugger,metrics,web" {
		t.Fatalf("running after up --profile debug = %v", got)
	}
	p.MustRun("up", "-d", "--wait")
	if got, _ := profRunning(p); strings.Join(got, ",") != "debugger,metrics,web" {
		t.Errorf("a plain up after up --profile debug left %v running, want debugger left alone", got)
	}
}

func TestProfileUnknownNames(t *testing.T) {
	p := testenv.NewProject(t, profileStack)
	for _, args := range [][]string{
		{"profile", "enable", "monitoring", "trainign"},
		{"profile", "disable", "trainign"},
		{"--profile", "trainign", "config"},
	} {
		r := p.Run(args...)
		if r.Code == 0 || !strings.Contains(r.Stderr, `"trainign"`) || !strings.Contains(r.Stderr, "debug, monitoring") {
			t.Errorf("mlstack %s: exit %d, stderr %q; want an error naming the profile and listing debug, monitoring", strings.Join(args, " "), r.Code, r.Stderr)
		}
	}
	r := p.RunEnv([]string{"COMPOSE_PROFILES=nope"}, "ps")
	if r.Code == 0 || !strings.Contains(r.Stderr, `"nope"`) || !strings.Contains(r.Stderr, "COMPOSE_PROFILES") {
		t.Errorf("COMPOSE_PROFILES=nope ps: exit %d, stderr %q", r.Code, r.Stderr)
	}
	// A failed enable persists nothing.
	if line := profileLine(t, p.MustRun("profile", "list").Stdout, "monitoring"); !strings.Contains(line, " off ") {
		t.Errorf("monitoring line = %q after a refused enable, want off", line)
	}
}
