package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newRestartCmd(env *app.Env) *cobra.Command {
	var o stack.RestartOptions
	var timeout int
	cmd := &cobra.Command{
		Use:     "restart [SERVICE...]",
		Short:   "Restart the project's containers (dependencies first); configuration changes need `up`",
		Example: "  mlstack restart\n  mlstack restart -t 2 inference",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Services = args
			if cmd.Flags().Changed("timeout") {
				o.Timeout = &timeout
			}
			st, err := env.ExistingStack(cmd.Context())
			if err != nil {
				return err
			}
			return st.Restart(cmd.Context(), o)
		},
	}
	cmd.Flags().IntVarP(&timeout, "timeout", "t", 10, "seconds to wait for a container to stop before killing it (default: the service's stop_grace_period)")
	return cmd
}
