package profiles

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/mlstack/mlstack/internal/project"
)

// Each fragment must be a valid compose project on its own, with the services and profile the
// catalog says.
func TestFragmentsLoadAlone(t *testing.T) {
	for _, r := range List() {
		t.Run(r.Name, func(t *testing.T) {
			dir := t.TempDir()
			for name, b := range Files(r.Name) {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			p, err := project.Load(context.Background(), project.Options{
				Files: []string{filepath.Join(dir, r.File)}, Name: "catalog", AllProfiles: true, NoPersisted: true,
			})
			if err != nil {
				t.Fatalf("load %s: %v", r.File, err)
			}
			var got []string
			for n := range p.All {
				got = append(got, n)
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, r.Services) {
				t.Errorf("services = %v, want %v", got, r.Services)
			}
			for _, n := range r.Services {
				s := p.All[n]
				want := []string(nil)
				if r.Profile != "" {
					want = []string{r.Profile}
				}
				if !reflect.DeepEqual(s.Profiles, want) {
					t.Errorf("service %s profiles = %v, want %v", n, s.Profiles, want)
				}
				if s.Image == "" && s.Build == nil {
					t.Errorf("service %s has neither image nor build", n)
				}
				for _, pc := range s.Ports {
					if pc.HostIP != "127.0.0.1" {
						t.Errorf("service %s publishes port %d on %q, want 127.0.0.1", n, pc.Target, pc.HostIP)
					}
				}
			}
			b := Files(r.Name)[r.File]
			if !strings.HasPrefix(string(b), "# mlstack catalog: "+r.Name) {
				t.Errorf("%s does not start with its description comment", r.File)
			}
		})
	}
}

// The long-running services have a healthcheck, so that `up --wait` and dependents can rely on it.
func TestFragmentsHealthchecks(t *testing.T) {
	for _, r := range List() {
		dir := t.TempDir()
		for name, b := range Files(r.Name) {
			os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
		p, err := project.Load(context.Background(), project.Options{Files: []string{filepath.Join(dir, r.File)}, Name: "catalog", AllProfiles: true, NoPersisted: true})
		if err != nil {
			t.Fatal(err)
		}
		for n, s := range p.All {
			if r.Profile == "training" {
				if s.Deploy == nil || s.Deploy.Resources.Reservations == nil || len(s.Deploy.Resources.Reservations.Devices) == 0 {
					t.Errorf("%s: training has no GPU reservation", n)
				}
				if s.Environment["MLFLOW_TRACKING_URI"] == nil {
					t.Errorf("%s: MLFLOW_TRACKING_URI is not wired", n)
				}
				continue
			}
			if s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 {
				t.Errorf("%s: no healthcheck", n)
			}
		}
	}
}

// Every embedded compose fragment is in the catalog, and every catalog file is embedded.
func TestCatalogMatchesEmbeddedFiles(t *testing.T) {
	entries, err := files.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, r := range List() {
		for _, f := range FileNames(r.Name) {
			listed[f] = true
		}
	}
	for _, e := range entries {
		if !listed[e.Name()] {
			t.Errorf("%s is embedded but belongs to no role", e.Name())
		}
	}
	for _, want := range []string{"feature-store", "mlflow", "training", "inference", "monitoring"} {
		if _, err := Get(want); err != nil {
			t.Error(err)
		}
	}
	if _, err := Get("nope"); err == nil || !strings.Contains(err.Error(), "feature-store, mlflow") {
		t.Errorf("Get(nope) error = %v, want one listing the roles", err)
	}
}
