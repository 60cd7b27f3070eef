package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newStopCmd(env *app.Env) *cobra.Command {
	var o stack.StopOptions
	var timeout int
	cmd := &cobra.Command{
		Use:     "stop [SERVICE...]",
		Short:   "Stop the project's containers without removing them (dependents first)",
		Example: "  mlstack stop            # everything\n  mlstack stop inference  # one service; `mlstack start inference` brings it back",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Services = args
			if cmd.Flags().Changed("timeout") {
				o.Timeout = &timeout
			}
			st, err := env.ExistingStack(cmd.Context())
			if err != nil {
				return err
			}
			return st.Stop(cmd.Context(), o)
		},
	}
	cmd.Flags().IntVarP(&timeout, "timeout", "t", 10, "seconds to wait for a container to stop before killing it (default: the service's stop_grace_period)")
	return cmd
}
