// Package scaffold writes project files from mlstack's catalog: a new project for `mlstack init`,
// and a role brought into an existing project for `mlstack profile add`.
package scaffold

import (
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mlstack/mlstack/profiles"
)

//go:embed template
var template embed.FS

// InitOptions say where to scaffold and from which roles.
type InitOptions struct {
	// Dir is the project directory, created when missing.
	Dir string
	// Roles are catalog roles; empty means all of them.
	Roles []string
	// Force overwrites files that already exist.
	Force bool
}

// ExistsError lists the files Init would overwrite.
type ExistsError struct{ Files []string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("these files already exist and were left alone: %s; use --force to overwrite them", strings.Join(e.Files, ", "))
}

// Files returns the files Init writes for the roles (relative path → content), without writing.
func Files(roles []string) (map[string][]byte, error) {
	if len(roles) == 0 {
		roles = profiles.Names()
	}
	var chosen []profiles.Role
	seen := map[string]bool{}
	for _, n := range roles {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		r, err := profiles.Get(n)
		if err != nil {
			return nil, err
		}
		chosen = append(chosen, r)
	}
	if len(chosen) == 0 {
		return nil, errors.New("no roles chosen; the catalog has: " + strings.Join(profiles.Names(), ", "))
	}
	// Keep catalog order whatever order the user named them in.
	order := map[string]int{}
	for i, n := range profiles.Names() {
		order[n] = i
	}
	sort.SliceStable(chosen, func(i, j int) bool { return order[chosen[i].Name] < order[chosen[j].Name] })

	compose, err := composeFile(chosen)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{"compose.yaml": compose}
	builds := false
	for _, r := range chosen {
		builds = builds || r.FromProject
		for name, b := range profiles.Files(r.Name) {
			if name != r.File {
				out[name] = b
			}
		}
	}
	tpl := map[string]string{".gitignore": "template/gitignore"}
	if builds {
		for k, v := range map[string]string{
			"Dockerfile": "template/Dockerfile", "requirements.txt": "template/requirements.txt",
			".dockerignore": "template/dockerignore", "src/train.py": "template/src/train.py", "src/serve.py": "template/src/serve.py",
		} {
			tpl[k] = v
		}
	}
	for rel, src := range tpl {
		b, err := template.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("scaffold template %s: %w", src, err)
		}
		out[rel] = b
	}
	return out, nil
}

// Init writes a new project into o.Dir and returns the written paths, sorted. Without Force it
// writes nothing when any of its files exists, and says which.
func Init(o InitOptions) ([]string, error) {
	files, err := Files(o.Roles)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	if !o.Force {
		var exist []string
		for _, n := range names {
			if _, err := os.Lstat(filepath.Join(o.Dir, n)); err == nil {
				exist = append(exist, n)
			}
		}
		if len(exist) > 0 {
			return nil, &ExistsError{Files: exist}
		}
	}
	for _, n := range names {
		if err := writeFile(filepath.Join(o.Dir, n), files[n]); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// composeFile joins the roles' fragments into one compose.yaml: their services under one
// services: key, each headed by its fragment's comments, and their volumes under one volumes: key.
func composeFile(roles []profiles.Role) ([]byte, error) {
	var names []string
	for _, r := range roles {
		names = append(names, r.Name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by `mlstack init` from mlstack's catalog (roles: %s).\n", strings.Join(names, ", "))
	b.WriteString("# Set the variables documented above each service in .env. `mlstack profile list` shows the profiles.\n")
	b.WriteString("services:\n")
	var volumes []string
	volBody := map[string]string{}
	has := map[string]bool{}
	for _, r := range roles {
		for _, s := range r.Services {
			has[s] = true
		}
	}
	for i, r := range roles {
		frag, err := splitFragment(profiles.Files(r.Name)[r.File])
		if err != nil {
			return nil, fmt.Errorf("catalog fragment %s: %w", r.File, err)
		}
		if i > 0 {
			b.WriteString("\n")
		}
		for _, c := range frag.header {
			b.WriteString(strings.TrimRight("  "+c, " ") + "\n")
		}
		body := frag.sections["services"]
		if r.Name == "training" && has["mlflow"] {
			// The job logs to MLflow when it runs, but trains without it (it logs locally then).
			body = insertAfter(body, "  training:\n", "    depends_on:\n      mlflow:\n        condition: service_healthy\n        required: false\n")
		}
		b.WriteString(body)
		for _, v := range splitEntries(frag.sections["volumes"]) {
			if _, ok := volBody[v.name]; !ok {
				volumes = append(volumes, v.name)
				volBody[v.name] = v.text
			}
		}
	}
	if len(volumes) > 0 {
		b.WriteString("\nvolumes:\n")
		for _, v := range volumes {
			b.WriteString(volBody[v])
		}
	}
	return []byte(b.String()), nil
}

type fragment struct {
	header   []string          // leading comment lines
	sections map[string]string // top-level key → its indented body
}

// splitFragment cuts a catalog fragment into its header comments and top-level sections. Catalog
// fragments are written in block style, which the profiles tests hold them to.
func splitFragment(src []byte) (fragment, error) {
	f := fragment{sections: map[string]string{}}
	lines := strings.SplitAfter(string(src), "\n")
	i := 0
	for ; i < len(lines) && strings.HasPrefix(lines[i], "#"); i++ {
		f.header = append(f.header, strings.TrimRight(lines[i], "\n"))
	}
	key := ""
	for ; i < len(lines); i++ {
		l := lines[i]
		if strings.TrimSpace(l) == "" {
			continue
		}
		if l[0] != ' ' && l[0] != '#' {
			k, rest, ok := strings.Cut(strings.TrimRight(l, "\n"), ":")
			if !ok || strings.TrimSpace(rest) != "" {
				return f, fmt.Errorf("top-level line %q is not a block key", strings.TrimSpace(l))
			}
			key = k
			continue
		}
		if key == "" {
			return f, fmt.Errorf("line %q before any top-level key", strings.TrimSpace(l))
		}
		f.sections[key] += l
	}
	return f, nil
}

type entry struct{ name, text string }

// splitEntries splits a section body into its two-space-indented entries.
func splitEntries(body string) []entry {
	var out []entry
	for _, l := range strings.SplitAfter(body, "\n") {
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "   ") && !strings.HasPrefix(strings.TrimSpace(l), "#") {
			name, _, _ := strings.Cut(strings.TrimSpace(l), ":")
			out = append(out, entry{name: name})
		}
		if len(out) > 0 {
			out[len(out)-1].text += l
		}
	}
	return out
}

func insertAfter(body, line, text string) string {
	i := strings.Index(body, line)
	if i < 0 {
		return body
	}
	i += len(line)
	return body[:i] + text + body[i:]
}
