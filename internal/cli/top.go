package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newTopCmd(env *app.Env) *cobra.Command {
	return &cobra.Command{
		Use:     "top [SERVICE...]",
		Short:   "Show the processes running in the project's containers",
		Example: "  mlstack top\n  mlstack top training",
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := env.ExistingStack(cmd.Context())
			if err != nil {
				return err
			}
			return st.Top(cmd.Context(), stack.TopOptions{Services: args})
		},
	}
}
