package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

// upExtensions are the flags other features (builds, GPUs) add to commands that start services.
type upExtensions struct {
	build *buildFlags
	gpus  *gpuFlags
}

// addUpExtensions adds the build and GPU flags to cmd and returns where they land.
func addUpExtensions(cmd *cobra.Command) *upExtensions {
	return &upExtensions{build: addBuildFlags(cmd), gpus: addGPUFlags(cmd)}
}

// prepare validates those flags and fills UpOptions (image resolver, GPU policy) before up runs.
func (x *upExtensions) prepare(ctx context.Context, cmd *cobra.Command, env *app.Env, st *stack.Stack, o *stack.UpOptions) error {
	if err := x.build.prepare(ctx, env, st, o); err != nil {
		return err
	}
	return x.gpus.prepare(cmd, env, st, o)
}
