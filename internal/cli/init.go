package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/scaffold"
	"github.com/mlstack/mlstack/profiles"
)

func newInitCmd(env *app.Env) *cobra.Command {
	var o scaffold.InitOptions
	var roles string
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Scaffold a new ML project from mlstack's catalog (compose.yaml, Dockerfile, requirements, src/)",
		Long: "Writes compose.yaml with the chosen roles' services, a Dockerfile and pinned requirements.txt for\n" +
			"training and inference, .dockerignore, .gitignore and a minimal src/. Roles: " + strings.Join(profiles.Names(), ", ") + "\n" +
			"(all by default). Existing files are left alone unless --force.",
		Example: "  mlstack init\n  mlstack init fraud --roles feature-store,training,inference\n  mlstack init --force",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Dir = "."
			if len(args) == 1 {
				o.Dir = args[0]
			}
			if roles != "" {
				o.Roles = strings.Split(roles, ",")
			}
			written, err := scaffold.Init(o)
			if err != nil {
				return err
			}
			for _, f := range written {
				env.UI.Status(filepath.Join(o.Dir, f), "written")
			}
			next := ""
			if abs, _ := filepath.Abs(o.Dir); abs != "" {
				if wd, _ := os.Getwd(); wd != abs {
					next = "cd " + o.Dir + " && "
				}
			}
			bin := commandName()
			fmt.Fprintf(env.UI.Err, "\nNext: %s%s up -d --wait   (then `%s train`, `%s profile enable monitoring`)\n", next, bin, bin, bin)
			return nil
		},
	}
	cmd.Flags().StringVar(&roles, "roles", "", "comma-separated catalog roles (default: all of "+strings.Join(profiles.Names(), ",")+")")
	cmd.Flags().BoolVar(&o.Force, "force", false, "overwrite existing files")
	return cmd
}

// commandName is how the user runs mlstack: "mlstack" when that is on the PATH (make install),
// else the path of this binary (bin/mlstack before an install).
func commandName() string {
	if _, err := exec.LookPath("mlstack"); err == nil {
		return "mlstack"
	}
	exe, err := os.Executable()
	if err != nil {
		return "mlstack"
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, exe); err == nil && !strings.HasPrefix(rel, "..") {
			return "./" + rel
		}
	}
	return exe
}
