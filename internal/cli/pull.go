package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newPullCmd(env *app.Env) *cobra.Command {
	var o stack.PullOptions
	cmd := &cobra.Command{
		Use:     "pull [SERVICE...]",
		Short:   "Pull the images of the project's services",
		Example: "  mlstack pull\n  mlstack pull --ignore-pull-failures -q",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Services = args
			st, err := env.Stack(cmd.Context(), args...)
			if err != nil {
				return err
			}
			return st.PullAll(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.IgnoreFailures, "ignore-pull-failures", false, "pull what it can and warn about the rest")
	cmd.Flags().BoolVar(&o.IgnoreBuildable, "ignore-buildable", false, "skip services whose image can be built")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "print only errors")
	return cmd
}
