package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/gpu"
	"github.com/mlstack/mlstack/internal/pipeline"
)

const gpusUsage = "GPUs for services that reserve them: auto (GPU where the engine has one, else CPU with a notice), all, none, N, or device=ID[,ID] (default: MLSTACK_GPUS, else auto)"

// imageFlags are the image and GPU flags of every command that starts containers (up, create,
// run, train, watch); pipeline turns them into the command's hooks.
type imageFlags struct {
	build   bool
	noBuild bool
	pull    string
	gpus    string
}

// addImageFlags adds --build, --no-build, --pull and --gpus to cmd; gpusHelp, when set, replaces
// the --gpus help text.
func addImageFlags(cmd *cobra.Command, gpusHelp string) *imageFlags {
	f := &imageFlags{}
	fl := cmd.Flags()
	fl.BoolVar(&f.build, "build", false, "build images even when their inputs are unchanged")
	fl.BoolVar(&f.noBuild, "no-build", false, "never build: a service whose image was not built yet fails")
	fl.StringVar(&f.pull, "pull", "", "pull images: always, missing or never (default: each service's pull_policy)")
	if gpusHelp == "" {
		gpusHelp = gpusUsage
	}
	fl.StringVar(&f.gpus, "gpus", "", gpusHelp)
	return f
}

// options parses the flags (and MLSTACK_GPUS) into the pipeline's options.
func (f *imageFlags) options(cmd *cobra.Command) (pipeline.Options, error) {
	o := pipeline.Options{Build: f.build, NoBuild: f.noBuild, Pull: f.pull}
	if err := o.Validate(); err != nil {
		return o, usageErr("%v", err)
	}
	mode, err := gpuMode(cmd, f.gpus)
	if err != nil {
		return o, err
	}
	o.GPUs = mode
	return o, nil
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
