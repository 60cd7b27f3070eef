// Package profiles is mlstack's catalog of ready compose fragments, one per role of an ML stack,
// embedded in the binary so that `mlstack init` and `mlstack profile add` work anywhere.
package profiles

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

//go:embed *.yaml *.yml
var files embed.FS

// Role is one entry of the catalog.
type Role struct {
	// Name is the role's name, also its fragment's base name (feature-store.yaml).
	Name string
	// Summary says in one line what the role adds.
	Summary string
	// File is the compose fragment's file name.
	File string
	// Extra are files the fragment refers to by a path relative to itself (copied beside it).
	Extra []string
	// Services are the services the fragment defines.
	Services []string
	// Profile is the compose profile the role's services are in, or "" when they always run.
	Profile string
	// FromProject says the fragment builds the project's own Dockerfile (`build: .`), so an include
	// of it needs the project as its project_directory.
	FromProject bool
}

// catalog is in the order a stack is usually assembled, which init and listings keep.
var catalog = []Role{
	{Name: "feature-store", Summary: "Redis online feature store with a healthcheck and a data volume", Services: []string{"feature-store"}},
	{Name: "mlflow", Summary: "MLflow tracking server with a backend store and an artifact volume", Services: []string{"mlflow"}},
	{Name: "training", Summary: "training job built from the project, GPU reservation, tracking URI wired", Services: []string{"training"}, Profile: "training", FromProject: true},
	{Name: "inference", Summary: "model server built from the project: /health, /predict, /metrics on 127.0.0.1:8080", Services: []string{"inference"}, FromProject: true},
	{Name: "monitoring", Summary: "Prometheus scraping the inference server", Services: []string{"prometheus"}, Profile: "monitoring", Extra: []string{"prometheus.yml"}},
}

// List returns every role of the catalog.
func List() []Role {
	out := make([]Role, len(catalog))
	for i, r := range catalog {
		r.File = r.Name + ".yaml"
		r.Extra = append([]string(nil), r.Extra...)
		r.Services = append([]string(nil), r.Services...)
		out[i] = r
	}
	return out
}

// Names returns the roles' names in catalog order.
func Names() []string {
	var out []string
	for _, r := range catalog {
		out = append(out, r.Name)
	}
	return out
}

// Get returns the role called name, or an error listing the known roles.
func Get(name string) (Role, error) {
	for _, r := range List() {
		if r.Name == name {
			return r, nil
		}
	}
	return Role{}, fmt.Errorf("unknown role %q; the catalog has: %s", name, strings.Join(Names(), ", "))
}

// Files returns the role's fragment and the files beside it, by file name; nil for an unknown role.
func Files(name string) map[string][]byte {
	r, err := Get(name)
	if err != nil {
		return nil
	}
	out := map[string][]byte{}
	for _, f := range append([]string{r.File}, r.Extra...) {
		b, err := files.ReadFile(f)
		if err != nil {
			// The catalog table and the embedded files are tested against each other.
			panic(fmt.Sprintf("profiles: %s is in the catalog but not embedded", f))
		}
		out[f] = b
	}
	return out
}

// FileNames returns the sorted names of the files Files returns.
func FileNames(name string) []string {
	var out []string
	for f := range Files(name) {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}
