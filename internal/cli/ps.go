package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newPsCmd(env *app.Env) *cobra.Command {
	var o stack.PsOptions
	cmd := &cobra.Command{
		Use:         "ps [SERVICE...]",
		Short:       "List the project's containers",
		Annotations: onBackend(),
		Example:     "  mlstack ps\n  mlstack ps -a --format json | jq .Health",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Services = args
			b, err := env.Backend()
			if err != nil {
				return err
			}
			return b.Ps(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVarP(&o.All, "all", "a", false, "show stopped containers too")
	addFormatFlag(cmd, &o.Format, "json: one object a line, as compose prints it", "table", "json")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "only print container IDs")
	cmd.Flags().StringVar(&o.Status, "status", "", "only containers in this state (running, exited, ...)")
	return cmd
}
