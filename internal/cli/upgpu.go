package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

// addGPUFlags adds --gpus to commands that start services.
func addGPUFlags(cmd *cobra.Command) {}

// prepareGPU sets o.Devices from the GPU policy (--gpus, MLSTACK_GPUS, default auto).
func prepareGPU(ctx context.Context, env *app.Env, st *stack.Stack, o *stack.UpOptions) error {
	return nil
}
