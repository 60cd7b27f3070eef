package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

// addUpExtensions adds flags owned by other features (builds, GPUs) to commands that start services.
func addUpExtensions(cmd *cobra.Command, env *app.Env) {
	addBuildFlags(cmd)
	addGPUFlags(cmd)
}

// prepareUp lets those features fill UpOptions (image resolver, GPU policy) before up runs.
func prepareUp(ctx context.Context, env *app.Env, st *stack.Stack, o *stack.UpOptions) error {
	if err := prepareBuild(ctx, env, st, o); err != nil {
		return err
	}
	return prepareGPU(ctx, env, st, o)
}
