package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/build"
	"github.com/mlstack/mlstack/internal/lint"
	"github.com/mlstack/mlstack/internal/project"
)

type lintOptions struct {
	paths  []string
	format string
}

func newLintCmd(env *app.Env) *cobra.Command {
	o := &lintOptions{}
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "lint [PATH...]",
		Short: "Check Dockerfiles, .dockerignore and requirements files against ML image rules",
		Long: `Lint the Dockerfile of every build context in the project (all profiles), or the Dockerfiles
and directories given, with the requirements files they install and their .dockerignore. Each finding
has a rule id, severity, file, line, message and hint (docs/lint.md lists the rules).
Exits 1 when any finding is an error, 0 otherwise.`,
		Example: `  mlstack lint                        # every build context of the project
  mlstack lint --format json train/   # train/Dockerfile, as JSON`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.paths = args
			if asJSON {
				o.format = "json"
			}
			return runLint(cmd.Context(), env, *o)
		},
	}
	addFormatFlag(cmd, &o.format, "json: an array of findings", "text", "json")
	cmd.Flags().BoolVar(&asJSON, "json", false, "same as --format json")
	cmd.Flags().MarkHidden("json")
	return cmd
}

// lintTarget is one Dockerfile and the context it is built with.
type lintTarget struct {
	dockerfile string
	context    string
}

func runLint(ctx context.Context, env *app.Env, o lintOptions) error {
	targets, err := lintTargets(ctx, env, o.paths)
	if err != nil {
		return err
	}
	var all []lint.Finding
	var failed []error
	// Dockerfiles sharing a context share its .dockerignore and requirements files: report those once.
	seen := map[lint.Finding]bool{}
	for _, t := range targets {
		fs, err := lint.LintDockerfile(displayPath(t.dockerfile), displayPath(t.context))
		if err != nil {
			failed = append(failed, err)
			continue
		}
		for _, f := range fs {
			if !seen[f] {
				seen[f] = true
				all = append(all, f)
			}
		}
	}
	if o.format == "json" {
		if err := lint.WriteJSON(env.UI.Out, all); err != nil {
			return err
		}
	} else {
		if err := lint.WriteText(env.UI.Out, all); err != nil {
			return err
		}
		if len(targets) > 0 && len(failed) == 0 {
			env.UI.Info("%s", lintSummary(len(targets), all))
		}
	}
	for _, err := range failed {
		env.UI.Error(err)
	}
	if len(failed) > 0 || lint.HasErrors(all) {
		return &ExitError{Code: 1}
	}
	return nil
}

// lintTargets resolves the command line's paths, or the project's build contexts when there are none.
func lintTargets(ctx context.Context, env *app.Env, paths []string) ([]lintTarget, error) {
	if len(paths) > 0 {
		var out []lintTarget
		for _, p := range paths {
			st, err := os.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("lint %s: %w", p, err)
			}
			if st.IsDir() {
				out = append(out, lintTarget{dockerfile: filepath.Join(p, "Dockerfile"), context: p})
			} else {
				out = append(out, lintTarget{dockerfile: p, context: filepath.Dir(p)})
			}
		}
		return dedupeTargets(out), nil
	}
	// Every service's build context, on or off: p.All holds the off ones without loading them, so a
	// broken off profile does not stop the lint.
	p, err := project.Load(ctx, env.Global.Project)
	if err != nil {
		if project.IsNoFile(err) {
			if _, serr := os.Stat("Dockerfile"); serr == nil {
				return []lintTarget{{dockerfile: "Dockerfile", context: "."}}, nil
			}
		}
		return nil, err
	}
	var out []lintTarget
	var names []string
	for n := range p.All {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		svc := p.All[n]
		if svc.Build == nil {
			continue
		}
		c, err := build.New(p.WorkingDir, n, svc.Build)
		if err != nil {
			return nil, err
		}
		if c.Dockerfile == "" {
			env.UI.Info("Service %q uses dockerfile_inline: not linted", n)
			continue
		}
		out = append(out, lintTarget{dockerfile: c.Dockerfile, context: c.Dir})
	}
	if len(out) == 0 {
		env.UI.Info("No service of project %q has a build section: nothing to lint (name Dockerfiles: mlstack lint PATH...)", p.Name)
	}
	return dedupeTargets(out), nil
}

func dedupeTargets(ts []lintTarget) []lintTarget {
	seen := map[lintTarget]bool{}
	var out []lintTarget
	for _, t := range ts {
		key := lintTarget{dockerfile: absPath(t.dockerfile), context: absPath(t.context)}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, t)
	}
	return out
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// displayPath shortens p to a path relative to the working directory when it lies below it, so
// findings read like compiler messages.
func displayPath(p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	rel, err := filepath.Rel(wd, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return p
	}
	return rel
}

func lintSummary(files int, fs []lint.Finding) string {
	var errs, warns int
	for _, f := range fs {
		if f.Severity == lint.SeverityError {
			errs++
		} else {
			warns++
		}
	}
	noun := "Dockerfile"
	if files != 1 {
		noun += "s"
	}
	if errs+warns == 0 {
		return fmt.Sprintf("%d %s checked: no findings", files, noun)
	}
	return fmt.Sprintf("%d %s checked: %s, %s", files, noun, plural(errs, "error"), plural(warns, "warning"))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
