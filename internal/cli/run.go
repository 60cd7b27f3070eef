package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/pipeline"
	"github.com/mlstack/mlstack/internal/stack"
)

// oneOffFlags are the flags run and train share (docker compose run's).
type oneOffFlags struct {
	o          stack.OneOffOptions
	entrypoint string
	noTTY      bool
	rm         bool
	keep       bool
	img        *imageFlags
	timeout    int
	wait       int
}

func (f *oneOffFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.o.Env, "env", "e", nil, "set an environment variable KEY=VALUE (KEY alone: take it from your environment); repeatable")
	fl.StringArrayVar(&f.o.EnvFiles, "env-file", nil, "read environment variables from a file; repeatable")
	fl.StringArrayVarP(&f.o.Volumes, "volume", "v", nil, "bind mount a volume SRC:DST[:ro] (relative SRC: the project's); repeatable")
	fl.StringVarP(&f.o.Workdir, "workdir", "w", "", "working directory inside the container")
	fl.StringVarP(&f.o.User, "user", "u", "", "run as this user (name|uid[:group|gid])")
	fl.StringVar(&f.entrypoint, "entrypoint", "", "override the image's entrypoint")
	fl.BoolVar(&f.o.NoDeps, "no-deps", false, "don't start the services it depends on")
	fl.StringVar(&f.o.Name, "name", "", "container name (default <project>-<service>-run-<id>)")
	fl.BoolVarP(&f.noTTY, "no-TTY", "T", false, "don't allocate a TTY (the default when stdin or stdout is not a terminal)")
	f.img = addImageFlags(cmd, "GPUs for the job: auto (GPU where the engine has one, else CPU with a notice), all, none, N, or device=ID[,ID] (default: MLSTACK_GPUS, else auto)")
	fl.IntVarP(&f.timeout, "timeout", "t", 10, "seconds the job has to exit after Ctrl-C before it is killed")
	fl.IntVar(&f.wait, "wait-timeout", int(stack.DefaultDependencyWait/time.Second), "give up waiting for the dependencies (on a cluster, also for the job's pod to start) after this many seconds")
}

// options turns the flags into the one-off's options and its image and GPU choices; command nil
// keeps the service's.
func (f *oneOffFlags) options(cmd *cobra.Command, env *app.Env, service string, command []string) (stack.OneOffOptions, pipeline.Options, error) {
	o := f.o
	o.Service = service
	if len(command) > 0 {
		o.Command = command
	}
	if cmd.Flags().Changed("entrypoint") {
		o.Entrypoint = []string{}
		if f.entrypoint != "" {
			o.Entrypoint = []string{f.entrypoint}
		}
	}
	o.TTY = !f.noTTY && env.UI.InTTY && env.UI.OutTTY
	o.Kill = env.Kill
	if cmd.Flags().Changed("timeout") {
		t := f.timeout
		o.StopTimeout = &t
	}
	o.WaitTimeout = time.Duration(f.wait) * time.Second
	po, err := f.img.options(cmd)
	return o, po, err
}

func newRunCmd(env *app.Env) *cobra.Command {
	f := &oneOffFlags{}
	cmd := &cobra.Command{
		Use:   "run [flags] SERVICE [COMMAND [ARGS...]]",
		Short: "Run a one-off command in a new container of a service",
		Long: `Start the service's dependencies in health order (running ones are reused), then run a one-off
container of the service attached to the terminal and exit with its exit code. The container is
removed afterwards unless --rm=false. Ctrl-C interrupts the command; a second Ctrl-C kills it.
Service ports are not published unless --service-ports or --publish.`,
		Example: `  mlstack run training python -m src.training.train --config config/training.yaml
  mlstack run --no-deps -e DEBUG=1 inference pytest -q
  mlstack run --service-ports notebook`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: onBackend(),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, po, err := f.options(cmd, env, args[0], args[1:])
			if err != nil {
				return err
			}
			o.Keep = !f.rm
			b, err := env.Backend()
			if err != nil {
				return err
			}
			return exitWith(b.Run(cmd.Context(), app.JobOptions{Job: o, Images: po}))
		},
	}
	fl := cmd.Flags()
	// SERVICE ends mlstack's flags: what follows is the command's, as with compose run.
	fl.SetInterspersed(false)
	f.add(cmd)
	fl.BoolVarP(&f.o.Detach, "detach", "d", false, "run in the background and print the container name")
	fl.BoolVar(&f.rm, "rm", true, "remove the container when it exits")
	fl.BoolVarP(&f.o.Interactive, "interactive", "i", true, "keep stdin open")
	fl.StringArrayVar(&f.o.Publish, "publish", nil, "publish a port [IP:][HOST:]CONTAINER (no -p: that is the project name); repeatable")
	fl.BoolVar(&f.o.ServicePorts, "service-ports", false, "publish the service's ports")
	return cmd
}
