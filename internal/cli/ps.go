package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newPsCmd(env *app.Env) *cobra.Command {
	var o stack.PsOptions
	cmd := &cobra.Command{
		Use:     "ps [SERVICE...]",
		Short:   "List the project's containers",
		Example: "  mlstack ps\n  mlstack ps -a --format json | jq .Health",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Services = args
			if env.OnCluster() {
				return psOnCluster(cmd, env, o)
			}
			st, err := env.ExistingStack(cmd.Context())
			if err != nil {
				return err
			}
			if len(st.Project.All) > 0 {
				if err := st.Project.CheckServices(args); err != nil {
					return err
				}
			}
			views, err := st.Views(cmd.Context(), o)
			if err != nil {
				return err
			}
			return st.WritePs(env.UI.Out, views, o)
		},
	}
	cmd.Flags().BoolVarP(&o.All, "all", "a", false, "show stopped containers too")
	addFormatFlag(cmd, &o.Format, "json: one object a line, as compose prints it", "table", "json")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "only print container IDs")
	cmd.Flags().StringVar(&o.Status, "status", "", "only containers in this state (running, exited, ...)")
	return cmd
}
