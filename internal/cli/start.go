package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newStartCmd(env *app.Env) *cobra.Command {
	var o stack.StartOptions
	cmd := &cobra.Command{
		Use:   "start [SERVICE...]",
		Short: "Start the project's existing containers in health order",
		Long: `Start containers that exist (after stop, kill or create), each once its depends_on conditions
hold. Nothing is created or recreated: use up for that.`,
		Example: "  mlstack start\n  mlstack start --wait inference",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Services = args
			st, err := env.Stack(cmd.Context(), args...)
			if err != nil {
				return err
			}
			return st.Start(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.Wait, "wait", false, "wait until the started services are running and healthy")
	return cmd
}
