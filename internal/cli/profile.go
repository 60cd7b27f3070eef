package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/project"
	"github.com/mlstack/mlstack/internal/scaffold"
	"github.com/mlstack/mlstack/internal/ui"
	"github.com/mlstack/mlstack/profiles"
)

func newProfileCmd(env *app.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "List, enable and disable the project's profiles (kept in .mlstack/profiles.json), or add a role from the catalog",
		Long: `Profiles switch parts of the stack on and off. mlstack remembers what you enable or disable
in .mlstack/profiles.json, so every later command in any shell uses it; --profile and
COMPOSE_PROFILES add to it for one command. ` + "`up`" + ` removes the services of a profile you disabled.`,
		Example: "  mlstack profile list\n  mlstack profile enable monitoring\n  mlstack profile disable monitoring\n  mlstack profile add monitoring",
	}
	cmd.AddCommand(newProfileListCmd(env), newProfileToggleCmd(env, true), newProfileToggleCmd(env, false), newProfileAddCmd(env))
	return cmd
}

// profileRow is one line of `profile list`, also its JSON form.
type profileRow struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	// Why is persisted, --profile or COMPOSE_PROFILES when on; disabled (persisted off) or "" when off.
	Why      string   `json:"why"`
	Services []string `json:"services"`
}

// whyText says a row's reason in words for the table.
func (r profileRow) whyText() string {
	switch r.Why {
	case "persisted":
		return "persisted (mlstack profile enable)"
	case "disabled":
		return "persisted off (mlstack profile disable)"
	case "":
		return "not enabled"
	case "--profile", "COMPOSE_PROFILES":
		return r.Why + " (this command only)"
	}
	return r.Why
}

func newProfileListCmd(env *app.Env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List every profile with its services, whether it is on, and why",
		Example: `  mlstack profile list                  # PROFILE  STATE  WHY  SERVICES
  mlstack profile list --format json    # one object per profile`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := env.Load(cmd.Context())
			if err != nil {
				return err
			}
			rows, err := profileRows(p)
			if err != nil {
				return err
			}
			if format == "json" {
				return ui.WriteJSON(env.UI.Out, rows)
			}
			if len(rows) == 0 {
				env.UI.Info("The project has no profiles: every service runs with `mlstack up`.")
				return nil
			}
			table := [][]string{{"PROFILE", "STATE", "WHY", "SERVICES"}}
			for _, r := range rows {
				state := "off"
				if r.Enabled {
					state = "on"
				}
				table = append(table, []string{r.Name, state, r.whyText(), strings.Join(r.Services, ",")})
			}
			env.UI.Table(table)
			return nil
		},
	}
	addFormatFlag(cmd, &format, "json: an array of profiles", "table", "json")
	return cmd
}

// profileRows lists the project's profiles: on or off, why, and their services.
func profileRows(p *project.Project) ([]profileRow, error) {
	disabled, err := p.State.DisabledProfiles()
	if err != nil {
		return nil, err
	}
	rows := []profileRow{}
	for _, name := range project.KnownProfiles(p.All) {
		r := profileRow{Name: name, Services: servicesOf(p.All, name)}
		if why, ok := p.ProfileSource[name]; ok {
			r.Enabled, r.Why = true, why
		} else if slices.Contains(disabled, name) {
			r.Why = "disabled"
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func servicesOf(all types.Services, profile string) []string {
	var out []string
	for n, s := range all {
		if slices.Contains(s.Profiles, profile) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func newProfileToggleCmd(env *app.Env, enable bool) *cobra.Command {
	verb, short := "disable", "Turn profiles off for every later command; `up` then removes their services"
	if enable {
		verb, short = "enable", "Turn profiles on for every later command"
	}
	return &cobra.Command{
		Use:     verb + " NAME...",
		Short:   short,
		Example: "  mlstack profile " + verb + " monitoring",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := env.Load(cmd.Context())
			if err != nil {
				return err
			}
			known := project.KnownProfiles(p.All)
			for _, n := range args {
				if !slices.Contains(known, n) {
					list := strings.Join(known, ", ")
					if list == "" {
						list = "(none)"
					}
					return fmt.Errorf("unknown profile %q; the project's profiles are: %s", n, list)
				}
			}
			err = p.State.UpdateProfiles(cmd.Context(), func(enabled, disabled []string) ([]string, []string) {
				for _, n := range args {
					if enable {
						enabled, disabled = profAdd(enabled, n), profRemove(disabled, n)
					} else {
						enabled, disabled = profRemove(enabled, n), profAdd(disabled, n)
					}
				}
				return enabled, disabled
			})
			if err != nil {
				return err
			}
			for _, n := range args {
				svcs := strings.Join(servicesOf(p.All, n), ", ")
				if enable {
					env.UI.Status(n, fmt.Sprintf("enabled (services: %s); `mlstack up` starts them", svcs))
				} else {
					env.UI.Status(n, fmt.Sprintf("disabled (services: %s); `mlstack up` stops and removes them", svcs))
				}
			}
			return nil
		},
	}
}

func newProfileAddCmd(env *app.Env) *cobra.Command {
	var o scaffold.AddOptions
	cmd := &cobra.Command{
		Use:   "add ROLE",
		Short: "Bring a role from mlstack's catalog into the project (a copied fragment and an include: entry)",
		Long: "Copies the role's compose fragment to mlstack/ROLE.yaml and adds it to the project's compose file's\n" +
			"include: list, leaving the rest of the file as it is. Roles: " + strings.Join(profiles.Names(), ", ") + ".",
		Example:   "  mlstack profile add monitoring\n  mlstack profile add feature-store",
		Args:      cobra.ExactArgs(1),
		ValidArgs: profiles.Names(),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Project = env.Global.Project
			o.Role = args[0]
			res, err := scaffold.AddRole(cmd.Context(), o)
			if err != nil {
				return err
			}
			for _, f := range res.Written {
				env.UI.Status(f, "written")
			}
			env.UI.Status(profRel(res.ComposeFile), "include: "+res.Written[0])
			if res.Role.Profile != "" {
				env.UI.Info("Its services (%s) are in profile %q: `mlstack profile enable %s` turns them on.", strings.Join(res.Role.Services, ", "), res.Role.Profile, res.Role.Profile)
			} else {
				env.UI.Info("Its services (%s) start with the next `mlstack up`.", strings.Join(res.Role.Services, ", "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.Force, "force", false, "overwrite fragment files an earlier add left in mlstack/")
	return cmd
}

func profAdd(xs []string, x string) []string {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

func profRemove(xs []string, x string) []string {
	out := xs[:0:0]
	for _, v := range xs {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

// profRel shortens path to be relative to the current directory when it is below it.
func profRel(path string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return path
}
