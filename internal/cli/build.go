package cli

import (
	"context"
	"errors"
	"sync"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/build"
	"github.com/mlstack/mlstack/internal/progress"
)

type buildOptions struct {
	services []string
	noCache  bool
	pull     bool
	quiet    bool
}

func newBuildCmd(env *app.Env) *cobra.Command {
	o := &buildOptions{}
	cmd := &cobra.Command{
		Use:   "build [SERVICE...]",
		Short: "Build the images of services with a build section",
		Long: `Build service images with the engine's classic builder, in parallel. An image whose inputs
(files left after .dockerignore, Dockerfile, build args, target, labels, base image IDs) are unchanged
since it was built is reused without a build; --no-cache rebuilds every step.`,
		Example: `  mlstack build                 # build what changed
  mlstack build trainer --no-cache`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.services = args
			return runBuild(cmd.Context(), env, *o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.noCache, "no-cache", false, "build every step afresh, even when the inputs are unchanged")
	fl.BoolVar(&o.pull, "pull", false, "try to pull newer base images first")
	fl.BoolVarP(&o.quiet, "quiet", "q", false, "don't print the builder's output")
	return cmd
}

func runBuild(ctx context.Context, env *app.Env, o buildOptions) error {
	st, err := env.Stack(ctx, o.services...)
	if err != nil {
		return err
	}
	if err := st.Project.CheckServices(o.services); err != nil {
		return err
	}
	for _, n := range o.services {
		if st.Project.Services[n].Build == nil {
			env.UI.Info("Service %q has no build section: skipped", n)
		}
	}
	names := buildServices(st, o.services)
	if len(names) == 0 {
		env.UI.Info("No service to build: none has a build section")
		return nil
	}
	set, err := newBuildSet(env, st, build.Options{NoCache: o.noCache, Pull: o.pull, Quiet: o.quiet}, names)
	if err != nil {
		return err
	}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := st.Project.Services[n]
			_, built, err := set.Image(ctx, svc)
			if err != nil {
				emitState(st, n, progress.Failed, err.Error())
				errs[i] = err
				return
			}
			what := "Up to date"
			if built {
				what = "Built"
			}
			emitBuilt(st, n, built)
			env.UI.Status("Image "+build.ImageName(st.Name(), n, svc.Build, svc.Image), what)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
