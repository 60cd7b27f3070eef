package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
)

// newWatchCmd is not built yet; returning nil leaves the command out.
func newWatchCmd(env *app.Env) *cobra.Command { return nil }
