// Package project loads a compose-spec project the way docker compose does (files, .env, interpolation,
// include, extends, profiles) and adds mlstack's defaults and persisted state.
package project

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

// Options are the global, compose-compatible flags that select and shape a project.
type Options struct {
	Files       []string // -f, repeatable; COMPOSE_FILE when empty
	Name        string   // -p; COMPOSE_PROJECT_NAME when empty
	WorkingDir  string   // --project-directory
	EnvFiles    []string // --env-file
	Profiles    []string // --profile, for this command only
	Services    []string // services named on the command line: enabled even when their profile is off
	AllProfiles bool     // enable every profile for this command (services off are still listed in All without it)
	// NoPersisted ignores profiles enabled with `mlstack profile enable`.
	NoPersisted bool
	// NoSchema skips the compose schema and consistency checks, for commands that act on what exists
	// and need only the project's name and services: in a fresh process the schema's compilation is
	// a third of such a command's time.
	NoSchema bool
}

// Project is a loaded compose project plus what mlstack knows about it.
type Project struct {
	*types.Project
	// All holds every service whatever its profile, for profile listings and reconciliation.
	All types.Services
	// ActiveProfiles are the profiles in force for this command, sorted.
	ActiveProfiles []string
	// ProfileSource says, per active profile, why it is on (persisted, --profile, COMPOSE_PROFILES).
	ProfileSource map[string]string
	// State is mlstack's own state directory for the project.
	State *State
	// Ignored are the top-level elements of the files that mlstack does not act on (jobs, models, ...).
	Ignored []string
}

// Load reads the project. Errors name the file and, where compose-go reports one, the line and field.
//
// It reads the files twice, as docker compose does in effect: a cheap pass (YAML, schema,
// interpolation, include, extends) learns every service's profiles, so unknown profile names are
// refused and `profile list` sees services that are off; then the real load gets the active profiles,
// so services that are off skip the consistency checks and env_file reading, as with compose.
func Load(ctx context.Context, o Options) (*Project, error) {
	popts, err := cli.NewProjectOptions(o.Files,
		cli.WithWorkingDirectory(o.WorkingDir),
		cli.WithOsEnv,
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		cli.WithName(o.Name),
		cli.WithLoadOptions(func(lo *loader.Options) { lo.SkipValidation = o.NoSchema }),
	)
	if err != nil {
		return nil, loadError(err)
	}
	model, err := popts.LoadModel(ctx)
	if err != nil {
		return nil, loadError(nameFile(popts.ConfigPaths, err))
	}
	profilesOf := ServiceProfiles(model)
	if len(profilesOf) == 0 {
		return nil, fileError{fmt.Errorf("%s: no services defined", strings.Join(popts.ConfigPaths, ", "))}
	}
	known := knownProfiles(profilesOf)
	wd, err := popts.GetWorkingDir()
	if err != nil {
		return nil, loadError(err)
	}
	st := NewState(wd)

	source := map[string]string{}
	add := func(names []string, why string) {
		for _, n := range names {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			if _, ok := source[n]; !ok {
				source[n] = why
			}
		}
	}
	if !o.NoPersisted {
		persisted, err := st.Profiles()
		if err != nil {
			return nil, err
		}
		add(persisted, "persisted")
	}
	add(o.Profiles, "--profile")
	if len(o.Profiles) == 0 {
		add(strings.Split(popts.Environment["COMPOSE_PROFILES"], ","), "COMPOSE_PROFILES")
	}
	for n, why := range source {
		if n == "*" {
			continue
		}
		if !slices.Contains(known, n) {
			if why == "persisted" {
				// A profile removed from the file since it was enabled is not the user's typo today.
				delete(source, n)
				continue
			}
			return nil, fmt.Errorf("unknown profile %q (from %s); the project's profiles are: %s", n, why, listOrNone(known))
		}
	}
	active := slices.Sorted(maps.Keys(source))
	if o.AllProfiles {
		active = append(active, "*")
	}
	// Services named on the command line are on for this command, with their profiles, as with
	// compose run/up SERVICE; they are loaded (and checked) like any enabled service.
	load := slices.Clone(active)
	for _, n := range o.Services {
		prs, ok := profilesOf[n]
		if !ok {
			return nil, fmt.Errorf("no such service %q; the project's services are: %s", n, strings.Join(slices.Sorted(maps.Keys(profilesOf)), ", "))
		}
		load = append(load, prs...)
	}
	// The first pass has warned about unset variables already; the second says nothing twice.
	quiet := cli.WithLoadOptions(func(lo *loader.Options) {
		if lo.Interpolate != nil { // nil while compose-go only reads the files
			lo.Interpolate.Substitute = func(t string, m template.Mapping) (string, error) {
				return template.SubstituteWithOptions(t, m, template.WithoutLogging)
			}
		}
	})
	for _, opt := range []cli.ProjectOptionsFn{cli.WithProfiles(load), quiet} {
		if err := opt(popts); err != nil {
			return nil, loadError(err)
		}
	}
	p, err := popts.LoadProject(ctx)
	if err != nil {
		return nil, loadError(nameFile(popts.ConfigPaths, offProfileHint(err, profilesOf, load)))
	}
	if p.Name == "" { // compose-go checks this with the schema
		return nil, loadError(errors.New("project name must not be empty"))
	}
	all := types.Services{}
	maps.Copy(all, p.DisabledServices)
	maps.Copy(all, p.Services)
	return &Project{Project: p, All: all, ActiveProfiles: active, ProfileSource: source, State: NewState(p.WorkingDir),
		Ignored: ignoredElements(model)}, nil
}

// ServiceProfiles returns every service's profiles from a compose model (as compose-go's LoadModel
// returns it), whether the service is on or off.
func ServiceProfiles(model map[string]any) map[string][]string {
	out := map[string][]string{}
	services, _ := model["services"].(map[string]any)
	for name, v := range services {
		svc, _ := v.(map[string]any)
		prs, _ := svc["profiles"].([]any)
		out[name] = []string{}
		for _, pr := range prs {
			if s, ok := pr.(string); ok {
				out[name] = append(out[name], s)
			}
		}
	}
	return out
}

func knownProfiles(profilesOf map[string][]string) []string {
	var out []string
	for _, prs := range profilesOf {
		for _, pr := range prs {
			if !slices.Contains(out, pr) {
				out = append(out, pr)
			}
		}
	}
	slices.Sort(out)
	return out
}

// actedOn are the top-level elements mlstack reads; any other one (jobs, models, ...) is reported.
var actedOn = []string{"name", "version", "include", "services", "networks", "volumes", "secrets", "configs"}

// ignoredElements lists the model's non-empty top-level elements that mlstack does not act on.
func ignoredElements(model map[string]any) []string {
	var out []string
	for k, v := range model {
		if slices.Contains(actedOn, k) || strings.HasPrefix(k, "x-") || v == nil {
			continue
		}
		if m, ok := v.(map[string]any); ok && len(m) == 0 {
			continue
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// offProfileHint adds to compose-go's "depends on undefined service" the profile that would define
// it, when the dependency exists but is off.
func offProfileHint(err error, profilesOf map[string][]string, active []string) error {
	msg := err.Error()
	const marker = "depends on undefined service "
	i := strings.Index(msg, marker)
	if i < 0 {
		return err
	}
	var dep string
	if _, scanErr := fmt.Sscanf(msg[i+len(marker):], "%q", &dep); scanErr != nil {
		return err
	}
	prs, ok := profilesOf[dep]
	if !ok || len(prs) == 0 {
		return err
	}
	return fmt.Errorf("%w (service %q is in profile %s, which is off: enable it with --profile %s, or mark the dependency required: false)",
		err, dep, strings.Join(prs, ","), prs[0])
}

// KnownProfiles lists every profile named by any service, sorted.
func KnownProfiles(all types.Services) []string {
	seen := map[string]bool{}
	for _, s := range all {
		for _, pr := range s.Profiles {
			seen[pr] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ServiceNames returns the enabled services' names, sorted.
func (p *Project) ServiceNames() []string { return sortedKeys(p.Services) }

// CheckServices returns an error naming the first unknown service, with the known ones listed. A
// project known only by name (Bare) has no list to check against: the engine's labels decide.
func (p *Project) CheckServices(names []string) error {
	if len(p.All) == 0 {
		return nil
	}
	for _, n := range names {
		if _, ok := p.Services[n]; ok {
			continue
		}
		if s, ok := p.All[n]; ok {
			return fmt.Errorf("service %q is in profile %s, which is not enabled (use --profile %s or `mlstack profile enable %s`)", n, strings.Join(s.Profiles, ","), s.Profiles[0], s.Profiles[0])
		}
		return fmt.Errorf("no such service %q; the project's services are: %s", n, strings.Join(sortedKeys(p.All), ", "))
	}
	return nil
}

// nameFile puts the file name in front of a YAML syntax error, which compose-go reports without it.
func nameFile(paths []string, err error) error {
	msg := err.Error()
	if !strings.HasPrefix(msg, "yaml: ") && !strings.Contains(msg, " yaml: ") {
		for _, path := range paths {
			if strings.Contains(msg, filepath.Base(path)) {
				return err
			}
		}
		if len(paths) > 0 {
			return fmt.Errorf("%s: %w", strings.Join(paths, ", "), err)
		}
		return err
	}
	for _, path := range paths {
		b, rerr := os.ReadFile(path)
		if rerr != nil {
			continue
		}
		var n yaml.Node
		if yerr := yaml.Unmarshal(b, &n); yerr != nil {
			return fmt.Errorf("%s: invalid YAML: %s", path, strings.TrimPrefix(yerr.Error(), "yaml: "))
		}
	}
	return err
}

func loadError(err error) error {
	msg := err.Error()
	// compose-go reports a missing default file in its own words; name where we looked.
	if strings.Contains(msg, "no configuration file provided") {
		wd, _ := os.Getwd()
		return errNoFile{fmt.Sprintf("no compose file found in %s (looked for compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml); pass one with -f", wd)}
	}
	return fileError{fmt.Errorf("load project: %w", oneLine(err))}
}

// fileError marks an error in the project's files (YAML, schema, interpolation, consistency), as
// opposed to one in the command line: commands that only need the project's name go on without them.
type fileError struct{ error }

func (e fileError) Unwrap() error { return e.error }

// IsFileError reports whether err says the project's files do not load (a missing file included).
func IsFileError(err error) bool {
	var e fileError
	return errors.As(err, &e) || IsNoFile(err)
}

// oneLine folds compose-go's multi-line decoding errors into one line, keeping the wrapped error.
func oneLine(err error) error {
	msg := err.Error()
	if !strings.Contains(msg, "\n") {
		return err
	}
	msg = strings.ReplaceAll(msg, ":\n\n", ": ")
	msg = strings.Join(strings.FieldsFunc(msg, func(r rune) bool { return r == '\n' }), "; ")
	return fmt.Errorf("%s%w", msg, errSilent{err})
}

// errSilent keeps a wrapped error reachable by errors.Is/As without printing it twice.
type errSilent struct{ err error }

func (e errSilent) Error() string { return "" }
func (e errSilent) Unwrap() error { return e.err }

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "(none)"
	}
	return strings.Join(xs, ", ")
}

func sortedKeys(s types.Services) []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// RelFiles returns the compose files relative to the working directory, for messages.
func (p *Project) RelFiles() string {
	var out []string
	for _, f := range p.ComposeFiles {
		if r, err := filepath.Rel(p.WorkingDir, f); err == nil {
			f = r
		}
		out = append(out, f)
	}
	return strings.Join(out, ", ")
}

// errNoFile marks "no compose file found", which commands that work from labels alone tolerate.
type errNoFile struct{ msg string }

func (e errNoFile) Error() string { return e.msg }

// IsNoFile reports whether err says no compose file was found.
func IsNoFile(err error) bool {
	var e errNoFile
	return errors.As(err, &e)
}

// Bare is a project known only by name (no file): enough to find its resources by label.
func Bare(name string) *Project {
	wd, _ := os.Getwd()
	return &Project{Project: &types.Project{Name: name, WorkingDir: wd, Services: types.Services{}}, All: types.Services{}, State: NewState(wd)}
}
