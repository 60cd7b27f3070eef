package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
)

func newTrainCmd(env *app.Env) *cobra.Command {
	f := &oneOffFlags{}
	var replay string
	cmd := &cobra.Command{
		Use:   "train [SERVICE] [flags] [-- COMMAND [ARGS...]]",
		Short: "Run a training job with its dependencies, on a GPU where there is one, and record the run",
		Long: `Run the training service as a one-off job: its dependencies start in health order (running ones
are reused), the job's output streams live, Ctrl-C reaches the job (a second one kills it), the
container is removed afterwards and mlstack exits with the job's exit code.

SERVICE defaults to the service named "training", else the only service in profile "training";
its profile is enabled for this command. Where the project has an MLflow server (a service named
"mlflow" or labelled dev.mlstack.role=tracking) and the job sets no MLFLOW_TRACKING_URI, the job
gets its in-network address.

Every run is recorded under .mlstack/runs/ (image id, git commit, config hash, environment with
secrets masked, GPUs, exit code, output): see ` + "`mlstack runs`" + `.`,
		Example: `  mlstack train                                   # the training service's own command
  mlstack train -e EPOCHS=3 -- python -m src.training.train --config config/training.yaml
  mlstack train --gpus all                        # fail unless the engine has a GPU
  mlstack train --replay latest                   # run the newest recorded run again`,
		Annotations: onBackend(),
		RunE: func(cmd *cobra.Command, args []string) error {
			service, command := splitTrainArgs(cmd, args)
			if len(service) > 1 {
				return usageErr("train takes one SERVICE; put the job's command after --: mlstack train %s -- %s ...", service[0], service[1])
			}
			name := ""
			if len(service) == 1 {
				name = service[0]
			}
			o, po, err := f.options(cmd, env, name, command)
			if err != nil {
				return err
			}
			o.Keep = f.keep
			b, err := env.Backend()
			if err != nil {
				return err
			}
			return exitWith(b.Train(cmd.Context(), app.JobOptions{Job: o, Images: po, Replay: replay}))
		},
	}
	fl := cmd.Flags()
	f.add(cmd)
	fl.BoolVar(&f.keep, "keep", false, "keep the job's container after it exits")
	fl.StringVar(&replay, "replay", "", "run a recorded run (ID, prefix or latest) again: its image, command and environment")
	return cmd
}

// splitTrainArgs separates SERVICE from the job's command: what follows -- is the command; without
// --, the first argument is the service and the rest the command, as with compose run.
func splitTrainArgs(cmd *cobra.Command, args []string) (service, command []string) {
	dash := cmd.ArgsLenAtDash()
	if dash < 0 {
		if len(args) == 0 {
			return nil, nil
		}
		return args[:1], args[1:]
	}
	return args[:dash], args[dash:]
}
