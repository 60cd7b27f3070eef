package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/gpu"
	"github.com/mlstack/mlstack/internal/stack"
)

const gpusUsage = "GPUs for services that reserve them: auto (GPU where the engine has one, else CPU with a notice), all, none, N, or device=ID[,ID] (default: MLSTACK_GPUS, else auto)"

// gpuFlags holds --gpus as given.
type gpuFlags struct{ value string }

// addGPUFlags adds --gpus to commands that start services.
func addGPUFlags(cmd *cobra.Command) *gpuFlags {
	f := &gpuFlags{}
	cmd.Flags().StringVar(&f.value, "gpus", "", gpusUsage)
	return f
}

// prepare sets o.Devices from the GPU policy (--gpus, MLSTACK_GPUS, default auto).
func (f *gpuFlags) prepare(cmd *cobra.Command, env *app.Env, st *stack.Stack, o *stack.UpOptions) error {
	mode, err := gpuMode(cmd, f.value)
	if err != nil {
		return err
	}
	pol := gpu.NewPolicy(st.Eng, mode, st.Project.State.CacheDir(), func(msg string) { env.UI.Notice("%s", msg) })
	o.Devices = pol.Requests(false)
	return nil
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
