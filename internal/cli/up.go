package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

type upFlags struct {
	opts        stack.UpOptions
	waitTimeout int
	timeout     int
	scale       []string
}

func newUpCmd(env *app.Env) *cobra.Command {
	f := &upFlags{}
	var img *imageFlags
	cmd := &cobra.Command{
		Use:   "up [SERVICE...]",
		Short: "Create and start the project's services in health order",
		Long: `Create and start services. Each service starts the moment its depends_on conditions hold
(service_started, service_healthy, service_completed_successfully); independent branches start in
parallel. A second up recreates only what changed.`,
		Example: `  mlstack up -d --wait            # start everything, return when all are healthy
  mlstack --profile training up   # include the training profile for this command
  mlstack up inference            # inference and what it depends on`,
		Annotations: onBackend(),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := f.opts
			o.Services = args
			o.Kill = env.Kill
			if cmd.Flags().Changed("wait-timeout") {
				o.WaitTimeout = time.Duration(f.waitTimeout) * time.Second
			}
			if cmd.Flags().Changed("timeout") {
				t := f.timeout
				o.StopTimeout = &t
			}
			if o.Wait {
				o.Detach = true
			}
			if o.ExitCodeFrom != "" {
				o.AbortOnExit = true
			}
			if o.AbortOnExit && o.Detach {
				return usageErr("--abort-on-container-exit and --exit-code-from cannot be combined with -d or --wait")
			}
			if o.ForceRecreate && o.NoRecreate {
				return usageErr("--force-recreate and --no-recreate cannot be combined")
			}
			scale, err := parseScale(f.scale)
			if err != nil {
				return err
			}
			o.Scale = scale
			return runUp(cmd, env, o, img)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.opts.Detach, "detach", "d", false, "run in the background")
	fl.BoolVar(&f.opts.Wait, "wait", false, "wait until services are running and healthy (implies -d)")
	fl.IntVar(&f.waitTimeout, "wait-timeout", 0, "give up waiting (for --wait, and for depends_on conditions) after this many seconds (default 600)")
	fl.BoolVar(&f.opts.NoDeps, "no-deps", false, "don't start linked services")
	fl.BoolVar(&f.opts.ForceRecreate, "force-recreate", false, "recreate containers even if unchanged")
	fl.BoolVar(&f.opts.NoRecreate, "no-recreate", false, "keep existing containers even if changed")
	fl.BoolVar(&f.opts.NoStart, "no-start", false, "create but don't start")
	fl.BoolVar(&f.opts.RemoveOrphans, "remove-orphans", false, "remove containers of services the project no longer has")
	fl.IntVarP(&f.timeout, "timeout", "t", 10, "seconds to wait for a container to stop before killing it")
	fl.BoolVar(&f.opts.EngineHealth, "wait-engine-health", false, "let dependents wait for the engine's own health status instead of mlstack's early probe")
	fl.StringArrayVar(&f.scale, "scale", nil, "scale SERVICE to NUM instances (SERVICE=NUM)")
	fl.BoolVar(&f.opts.AbortOnExit, "abort-on-container-exit", false, "stop all containers if any container stops")
	fl.StringVar(&f.opts.ExitCodeFrom, "exit-code-from", "", "return the exit code of this service's container (implies --abort-on-container-exit)")
	fl.BoolVar(&f.opts.NoLogPrefix, "no-log-prefix", false, "don't prefix log lines with the container name")
	fl.BoolVar(&f.opts.Timestamps, "timestamps", false, "show timestamps")
	fl.StringArrayVar(&f.opts.Attach, "attach", nil, "show only these services' output (repeatable)")
	img = addImageFlags(cmd, "")
	return cmd
}

func parseScale(vals []string) (map[string]int, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	out := map[string]int{}
	for _, v := range vals {
		name, num, ok := strings.Cut(v, "=")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("--scale %q: want SERVICE=NUM", v)
		}
		out[name] = n
	}
	return out, nil
}

func runUp(cmd *cobra.Command, env *app.Env, o stack.UpOptions, img *imageFlags) error {
	po, err := img.options(cmd)
	if err != nil {
		return err
	}
	b, err := env.Backend()
	if err != nil {
		return err
	}
	return b.Up(cmd.Context(), app.UpOptions{Stack: o, Images: po})
}
