package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

// addUpExtensions adds flags owned by other features (build, GPUs, profiles) to up.
func addUpExtensions(cmd *cobra.Command, env *app.Env) {}

// prepareUp lets those features fill UpOptions (image resolver, GPU policy) before up runs.
func prepareUp(ctx context.Context, env *app.Env, st *stack.Stack, o *stack.UpOptions) error {
	return nil
}
