package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newKillCmd(env *app.Env) *cobra.Command {
	var o stack.KillOptions
	cmd := &cobra.Command{
		Use:     "kill [SERVICE...]",
		Short:   "Send a signal (default SIGKILL) to the project's running containers",
		Example: "  mlstack kill\n  mlstack kill -s SIGHUP inference",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Services = args
			st, err := env.ExistingStack(cmd.Context())
			if err != nil {
				return err
			}
			return st.Kill(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVarP(&o.Signal, "signal", "s", "SIGKILL", "signal to send")
	cmd.Flags().Bool("remove-orphans", false, "accepted for compatibility with docker compose; ignored")
	return cmd
}
