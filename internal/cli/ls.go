package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newLsCmd(env *app.Env) *cobra.Command {
	var o stack.LsOptions
	var filter string
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the compose projects on the engine (mlstack's and docker compose's)",
		Long: `List every compose project on the engine with its status and config files, read from container
labels alone (no compose file is needed). Without -a only projects with a running container show.`,
		Example: "  mlstack ls\n  mlstack ls -a --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if filter != "" {
				k, v, ok := strings.Cut(filter, "=")
				if !ok || k != "name" {
					return usageErr("unknown --filter %q: use name=PROJECT", filter)
				}
				o.Name = v
			}
			eng, err := env.Connect(cmd.Context())
			if err != nil {
				return err
			}
			views, err := stack.ListProjects(cmd.Context(), eng, o)
			if err != nil {
				return err
			}
			return stack.WriteProjects(env.UI.Out, env.UI.Table, views, o)
		},
	}
	cmd.Flags().BoolVarP(&o.All, "all", "a", false, "show stopped projects too")
	addFormatFlag(cmd, &o.Format, "json: an array, as compose prints it", "table", "json")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "only print project names")
	cmd.Flags().StringVar(&filter, "filter", "", "filter by name=PROJECT")
	return cmd
}
