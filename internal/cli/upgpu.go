package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/gpu"
	"github.com/mlstack/mlstack/internal/stack"
)

const gpusUsage = "GPUs for services that reserve them: auto (GPU where the engine has one, else CPU with a notice), all, none, N, or device=ID[,ID] (default: MLSTACK_GPUS, else auto)"

// gpuModeKey carries up's parsed --gpus from its pre-run to prepareGPU, which sees only the context.
type gpuModeKey struct{}

// addGPUFlags adds --gpus to commands that start services.
func addGPUFlags(cmd *cobra.Command) {
	val := cmd.Flags().String("gpus", "", gpusUsage)
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if prev != nil {
			if err := prev(c, args); err != nil {
				return err
			}
		}
		mode, err := gpuMode(c, *val)
		if err != nil {
			return err
		}
		c.SetContext(context.WithValue(c.Context(), gpuModeKey{}, mode))
		return nil
	}
}

// gpuMode parses --gpus, or MLSTACK_GPUS when the flag was not given.
func gpuMode(cmd *cobra.Command, flag string) (gpu.Mode, error) {
	if cmd.Flags().Changed("gpus") {
		return gpu.ParseFlag(flag)
	}
	if v := os.Getenv(gpu.EnvVar); v != "" {
		m, err := gpu.ParseFlag(v)
		if err != nil {
			return m, fmt.Errorf("%s: %w", gpu.EnvVar, err)
		}
		return m, nil
	}
	return gpu.Mode{Kind: gpu.Auto}, nil
}

// prepareGPU sets o.Devices from the GPU policy (--gpus, MLSTACK_GPUS, default auto).
func prepareGPU(ctx context.Context, env *app.Env, st *stack.Stack, o *stack.UpOptions) error {
	mode, ok := ctx.Value(gpuModeKey{}).(gpu.Mode)
	if !ok {
		mode = gpu.Mode{Kind: gpu.Auto}
	}
	pol := gpu.NewPolicy(st.Eng, mode, st.Project.State.CacheDir(), func(msg string) { env.UI.Notice("%s", msg) })
	o.Devices = pol.Requests(false)
	return nil
}
