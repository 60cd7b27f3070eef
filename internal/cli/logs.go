package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newLogsCmd(env *app.Env) *cobra.Command {
	var o stack.LogsOptions
	cmd := &cobra.Command{
		Use:         "logs [SERVICE...]",
		Short:       "Show the services' output",
		Annotations: onBackend(),
		Example:     "  mlstack logs -f training      # follow, with live progress bars\n  mlstack logs --tail 50",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Services = args
			b, err := env.Backend()
			if err != nil {
				return err
			}
			return b.Logs(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVarP(&o.Follow, "follow", "f", false, "follow the output")
	cmd.Flags().StringVarP(&o.Tail, "tail", "n", "all", "number of lines from the end of the logs")
	cmd.Flags().BoolVarP(&o.Timestamps, "timestamps", "t", false, "show timestamps")
	cmd.Flags().BoolVar(&o.NoPrefix, "no-log-prefix", false, "don't prefix lines with the container name")
	cmd.Flags().StringVar(&o.Since, "since", "", "show logs since a timestamp or relative time (42m)")
	cmd.Flags().StringVar(&o.Until, "until", "", "show logs before a timestamp or relative time")
	return cmd
}
