package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newVersionCmd(env *app.Env) *cobra.Command {
	var short bool
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print mlstack's version, and the engine's when it answers",
		Example: "  mlstack version\n  mlstack version --short",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if short {
				fmt.Fprintln(env.UI.Out, app.Version)
				return nil
			}
			fmt.Fprintf(env.UI.Out, "mlstack %s (%s, %s/%s)\n", app.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			// mlstack's own line stands; a missing engine is an error, on stderr, with a non-zero exit.
			eng, err := env.Connect(cmd.Context())
			if err != nil {
				return err
			}
			v, err := stack.ReadEngineVersion(cmd.Context(), eng)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.UI.Out, "engine %s (API %s, negotiated %s) at %s\n", v.Version, v.APIVersion, v.Negotiated, v.Addr)
			return nil
		},
	}
	cmd.Flags().BoolVar(&short, "short", false, "print only mlstack's version")
	return cmd
}
