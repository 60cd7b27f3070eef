package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/doctor"
)

type doctorOptions struct {
	format string
}

func newDoctorCmd(env *app.Env) *cobra.Command {
	o := &doctorOptions{}
	cmd := &cobra.Command{
		Use:     "doctor",
		Short:   "Check the engine, disk, GPU, registry access and the project, with a fix for each problem",
		Example: "  mlstack doctor              # in a project directory: also the compose file and its ports\n  mlstack -f ml.yaml doctor",
		Long: `Check what mlstack depends on, one line each: the engine and its API version, storage driver,
free disk where images live, GPU support and what --gpus auto will do, whether images can be pulled,
the compose file, every image the project needs (Dockerfile base images included: present, built by
the project, or pullable, with how to get each missing one) and published ports already taken.
Works without a project. Exits 1 only on a hard blocker, where up is certain to fail: no engine, an
invalid project, or an image that is missing with no registry to pull it from.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDoctor(cmd.Context(), env, *o)
		},
	}
	addFormatFlag(cmd, &o.format, "json: an object with the list of checks", "text", "json")
	return cmd
}

func runDoctor(ctx context.Context, env *app.Env, o doctorOptions) error {
	r := doctor.Run(ctx, doctor.Options{Engine: env.Global.Engine, Project: env.Global.Project})
	write := doctor.Write
	if o.format == "json" {
		write = doctor.WriteJSON
	}
	if err := write(env.UI.Out, r); err != nil {
		return err
	}
	if r.Blocked() {
		return &ExitError{Code: 1}
	}
	return nil
}
