package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
)

// newStartCmd is not built yet; returning nil leaves the command out.
func newStartCmd(env *app.Env) *cobra.Command { return nil }
