package project

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

// brokenOff has services that only load while their profiles are off.
const brokenOff = `
services:
  api: {image: busybox}
  debugger:
    image: busybox
    profiles: [debug]
    env_file: ./missing.env
  netuser:
    image: busybox
    profiles: [net]
    networks: [nowhere]
  noimage:
    profiles: [noimg]
    command: ["true"]
`

func TestOffServicesSkipConsistencyChecks(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		profiles []string
		services []string
		want     string // enabled services, or "" when wantErr is set
		wantErr  string
	}{
		{"missing env_file, undefined network, no image: off", brokenOff, nil, nil, "api", ""},
		{"missing env_file, on", brokenOff, []string{"debug"}, nil, "", "missing.env"},
		{"undefined network, on", brokenOff, []string{"net"}, nil, "", "undefined network nowhere"},
		{"no image, on", brokenOff, []string{"noimg"}, nil, "", `service "noimage" has neither an image nor a build context`},
		{"named on the command line, checked", brokenOff, nil, []string{"debugger"}, "", "missing.env"},
		{"depends_on an off service is refused",
			"services:\n  api: {image: busybox, depends_on: [db]}\n  db: {image: busybox, profiles: [data]}\n", nil, nil, "",
			`depends on undefined service "db"`},
		{"and the refusal names the profile",
			"services:\n  api: {image: busybox, depends_on: [db]}\n  db: {image: busybox, profiles: [data]}\n", nil, nil, "",
			"--profile data"},
		{"depends_on an off service with required: false",
			"services:\n  api:\n    image: busybox\n    depends_on: {db: {condition: service_started, required: false}}\n  db: {image: busybox, profiles: [data]}\n",
			nil, nil, "api", ""},
		{"schema error in an off service still fails",
			"services:\n  api: {image: busybox}\n  off: {image: busybox, profiles: [x], imagee: y}\n", nil, nil, "", "imagee"},
		{"interpolation error in an off service still fails",
			"services:\n  api: {image: busybox}\n  off: {image: \"${NOPE_UNSET_VAR:?set it}\", profiles: [x]}\n", nil, nil, "", "set it"},
		{"YAML error still fails", "services:\n  api: {image: busybox}\n  off: [\n", nil, nil, "", "invalid YAML"},
		{"unknown profile lists the broken service's profile", brokenOff, []string{"dbg"}, nil, "",
			`unknown profile "dbg" (from --profile); the project's profiles are: debug, net, noimg`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "compose.yaml", tt.content)
			t.Setenv("COMPOSE_PROFILES", "")
			p, err := Load(context.Background(), Options{WorkingDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")},
				Profiles: tt.profiles, Services: tt.services})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load() error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(p.ServiceNames(), ","); got != tt.want {
				t.Errorf("enabled services = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestOffServicesStayListed(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "compose.yaml", brokenOff)
	p, err := Load(context.Background(), Options{WorkingDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(slices.Sorted(maps.Keys(p.All)), ","); got != "api,debugger,netuser,noimage" {
		t.Errorf("All = %s, want every service whatever its profile", got)
	}
	if got := KnownProfiles(p.All); !slices.Equal(got, []string{"debug", "net", "noimg"}) {
		t.Errorf("KnownProfiles = %v, want [debug net noimg]", got)
	}
	if err := p.CheckServices([]string{"debugger"}); err == nil || !strings.Contains(err.Error(), "profile debug") {
		t.Errorf("CheckServices(debugger) = %v, want a hint about its profile", err)
	}
}

func TestIgnoredTopLevelElements(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "compose.yaml", `
services:
  api: {image: busybox}
models:
  llm: {model: ai/smollm2}
x-shared: {a: 1}
volumes: {}
`)
	p, err := Load(context.Background(), Options{WorkingDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Ignored, []string{"models"}) {
		t.Errorf("Ignored = %v, want [models]", p.Ignored)
	}
}

// The two passes over the files warn once about an unset variable, not twice.
func TestUnsetVariableWarnedOnce(t *testing.T) {
	var buf bytes.Buffer
	logrus.SetOutput(&buf)
	t.Cleanup(func() { logrus.SetOutput(os.Stderr) })
	dir := t.TempDir()
	write(t, dir, "compose.yaml", "services:\n  a: {image: \"x${MLSTACK_TEST_UNSET}\"}\n")
	if _, err := Load(context.Background(), Options{WorkingDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "MLSTACK_TEST_UNSET"); n != 1 {
		t.Errorf("warned %d times about the unset variable, want once:\n%s", n, buf.String())
	}
}
