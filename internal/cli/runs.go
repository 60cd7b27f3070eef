package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
)

// newRunsCmd is not built yet; returning nil leaves the command out.
func newRunsCmd(env *app.Env) *cobra.Command { return nil }
