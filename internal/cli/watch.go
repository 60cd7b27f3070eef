package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/pipeline"
	"github.com/mlstack/mlstack/internal/watch"
)

func newWatchCmd(env *app.Env) *cobra.Command {
	var o watch.SessionOptions
	var img *imageFlags
	cmd := &cobra.Command{
		Use:   "watch [SERVICE...]",
		Short: "Sync source edits into running containers as you save (develop.watch)",
		Long: `Bring the project up (unless --no-up), then follow each service's develop.watch rules until
Ctrl-C, which stops watching and leaves the stack running. Edits reach the container in tens of
milliseconds through a small helper (mlstack itself) started once per container; deletes and
renames work in images without a shell. Files get the container user's (or the target
directory's) owner. A container that restarts or is recreated is found again and brought up to
date.`,
		Example: `  mlstack watch                    # every service with develop.watch rules
  mlstack watch inference --no-up  # only inference, which is already running
  mlstack watch --prune            # also remove files in the targets that the host tree lacks`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			o.Services = args
			po, err := img.options(cmd)
			if err != nil {
				return err
			}
			st, err := env.Stack(ctx, args...)
			if err != nil {
				return err
			}
			hooks, err := pipeline.New(st, po)
			if err != nil {
				return err
			}
			o.Up.Kill = env.Kill
			hooks.Up(&o.Up)
			o.Rebuild = hooks.Rebuild
			return watch.Watch(ctx, st, o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.NoUp, "no-up", false, "don't bring the project up first; watch the containers already running")
	fl.BoolVar(&o.NoInitialSync, "no-initial-sync", false, "don't copy files that differ into the targets when a container is found")
	fl.BoolVar(&o.Prune, "prune", false, "during the initial sync, also remove files under a target that the host tree lacks (never ignored paths)")
	fl.BoolVar(&o.Quiet, "quiet", false, "don't print a line per synced batch")
	img = addImageFlags(cmd, "")
	return cmd
}
