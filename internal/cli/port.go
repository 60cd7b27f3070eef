package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newPortCmd(env *app.Env) *cobra.Command {
	var o stack.PortOptions
	cmd := &cobra.Command{
		Use:     "port [flags] SERVICE PRIVATE_PORT",
		Short:   "Print the host address a service's private port is published on",
		Example: "  mlstack port mlflow 5000            # 127.0.0.1:49153\n  curl http://$(mlstack port inference 8080)/health",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, proto, err := stack.ParsePort(args[1], o.Protocol)
			if err != nil {
				return err
			}
			o.Service, o.Port, o.Protocol = args[0], n, proto
			st, err := env.ExistingStack(cmd.Context())
			if err != nil {
				return err
			}
			addr, err := st.Port(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(env.UI.Out, addr)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Protocol, "protocol", "tcp", "tcp or udp")
	cmd.Flags().IntVar(&o.Index, "index", 1, "which container of a scaled service")
	return cmd
}
