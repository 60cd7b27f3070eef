package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newDownCmd(env *app.Env) *cobra.Command {
	var o stack.DownOptions
	var timeout int
	cmd := &cobra.Command{
		Use:         "down",
		Short:       "Stop and remove the project's containers and networks",
		Example:     "  mlstack down        # keep volumes (data, models)\n  mlstack down -v     # also remove the project's named volumes",
		Args:        cobra.NoArgs,
		Annotations: onBackend(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("timeout") {
				o.StopTimeout = &timeout
			}
			if o.Rmi != "" && o.Rmi != "local" && o.Rmi != "all" {
				return usageErr("unknown --rmi %q: use local or all", o.Rmi)
			}
			b, err := env.Backend()
			if err != nil {
				return err
			}
			return b.Down(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVarP(&o.Volumes, "volumes", "v", false, "remove the project's named volumes")
	cmd.Flags().BoolVar(&o.RemoveOrphans, "remove-orphans", false, "remove containers of services the project no longer has")
	cmd.Flags().StringVar(&o.Rmi, "rmi", "", "also remove images: local (built for the project, no image: tag) or all")
	cmd.Flags().IntVarP(&timeout, "timeout", "t", 10, "seconds to wait for a container to stop before killing it")
	return cmd
}
