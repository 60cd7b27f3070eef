package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
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
			v, err := eng.ServerVersion(cmd.Context())
			if err != nil {
				return fmt.Errorf("engine at %s: version: %w", eng.Host, err)
			}
			fmt.Fprintf(env.UI.Out, "engine %s (API %s, negotiated %s) at %s\n", v.Version, v.APIVersion, eng.APIVersion, eng.Host)
			return nil
		},
	}
	cmd.Flags().BoolVar(&short, "short", false, "print only mlstack's version")
	return cmd
}
