package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/syncd"
	"github.com/mlstack/mlstack/internal/watch"
)

// SyncdCommand is the hidden subcommand watch runs inside containers, where mlstack's own static
// binary is the sync helper.
const SyncdCommand = watch.HelperCommand

// newSyncdCmd serves the sync protocol on stdin/stdout until stdin closes.
func newSyncdCmd(env *app.Env) *cobra.Command {
	return &cobra.Command{
		Use:    SyncdCommand,
		Short:  "Apply file changes sent by mlstack watch (runs inside containers)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return syncd.Serve(cmd.Context(), os.Stdin, os.Stdout)
		},
	}
}
