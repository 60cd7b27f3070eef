// Package cli holds mlstack's cobra commands: each parses flags into an options struct and calls one
// use case; none talks to Docker itself.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/dockerapp"
	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/ui"
)

// NewRoot builds the command tree.
func NewRoot(env *app.Env) *cobra.Command {
	g := &env.Global
	progressMode := ui.ProgressAuto
	root := &cobra.Command{
		Use:   "mlstack",
		Short: "Run an ML team's compose stack as a one-command dev loop",
		Long: `mlstack runs a compose-spec project (the same files as docker compose) on Docker:
health-ordered starts, persisted profiles, live code sync, and tracked training runs.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Global flags belong to the root and come before the command, as with docker compose, so
		// commands keep their own short flags (logs -f, run -p).
		TraverseChildren: true,
		Version:          app.Version,
		// With TraverseChildren cobra hands an unknown command to the root as an argument; say so
		// instead of printing help and exiting 0.
		Args:                       cobra.ArbitraryArgs,
		SuggestionsMinimumDistance: 2,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			msg := fmt.Sprintf("unknown command %q for mlstack", args[0])
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			return errors.New(msg + " (see mlstack --help)")
		},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := refuseOnCluster(cmd, env); err != nil {
				return err
			}
			if env.Cluster == nil && needsCluster(cmd, env) {
				return handOff()
			}
			if err := env.UI.SetProgress(progressMode, cmd.Name()); err != nil {
				return err
			}
			if len(g.Project.Files) == 0 {
				if f := os.Getenv("COMPOSE_FILE"); f != "" {
					sep := os.Getenv("COMPOSE_PATH_SEPARATOR")
					if sep == "" {
						sep = ":"
					}
					g.Project.Files = strings.Split(f, sep)
				}
			}
			return checkFormat(cmd)
		},
	}
	pf := root.Flags()
	pf.StringArrayVarP(&g.Project.Files, "file", "f", nil, "compose file (repeatable; default: compose.yaml and compose.override.yaml, or COMPOSE_FILE)")
	pf.StringVarP(&g.Project.Name, "project-name", "p", "", "project name (default: COMPOSE_PROJECT_NAME, the file's name:, or the directory name)")
	pf.StringArrayVar(&g.Project.Profiles, "profile", nil, "enable a profile for this command (repeatable; adds to persisted profiles and COMPOSE_PROFILES)")
	pf.StringArrayVar(&g.Project.EnvFiles, "env-file", nil, "alternate environment file (repeatable)")
	pf.StringVar(&g.Project.WorkingDir, "project-directory", "", "project directory (default: the first compose file's directory)")
	pf.StringVar(&g.Engine.Context, "context", "", "docker context to use (default: DOCKER_CONTEXT or the docker CLI's current context)")
	pf.StringVarP(&g.Engine.Host, "host", "H", "", "engine address (default: DOCKER_HOST)")
	pf.StringVar(&progressMode, "progress", ui.ProgressAuto, "progress output: auto (tty on a terminal, else plain), tty (live lines per service), plain (append-only lines) or quiet (errors only)")
	addKubeFlags(pf, g)

	root.AddCommand(
		newUpCmd(env), newDownCmd(env), newPsCmd(env), newLogsCmd(env), newConfigCmd(env), newVersionCmd(env),
	)
	for _, c := range extraCommands(env) {
		root.AddCommand(c)
	}
	explainDefaults(root)
	usageOnArgs(root)
	return root
}

// explainDefaults gives cobra's own help and completion commands examples, as every command has.
func explainDefaults(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Example = "  mlstack help up\n  mlstack help runs show"
		case "completion":
			c.Example = "  source <(mlstack completion bash)              # this shell\n  mlstack completion bash > ~/.local/share/bash-completion/completions/mlstack"
			for _, sh := range c.Commands() {
				sh.Example = "  " + completionExample(sh.Name())
			}
		}
	}
}

// completionExample says how to load one shell's completion script.
func completionExample(shell string) string {
	switch shell {
	case "bash":
		return "source <(mlstack completion bash)\n  mlstack completion bash > ~/.local/share/bash-completion/completions/mlstack"
	case "zsh":
		return "mlstack completion zsh > \"${fpath[1]}/_mlstack\""
	case "fish":
		return "mlstack completion fish > ~/.config/fish/completions/mlstack.fish"
	default:
		return "mlstack completion powershell | Out-String | Invoke-Expression"
	}
}

// usageOnArgs makes a wrong number of arguments, on any command, print the command's usage line
// with the error.
func usageOnArgs(c *cobra.Command) {
	if check := c.Args; check != nil && c.HasParent() {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return fmt.Errorf("%w\nUsage: %s", err, cmd.UseLine())
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageOnArgs(sub)
	}
}

// Options are what a binary built on this package brings.
type Options struct {
	// Cluster builds the Kubernetes backend (kubeapp.New, in mlstack-kube). Without it, commands
	// on a cluster are handed to mlstack-kube (see handOff), so this binary never links client-go.
	Cluster func(*app.Env) app.ClusterBackend
}

// Execute runs mlstack with the process's arguments and returns the exit code.
func Execute(o Options) int {
	streams := ui.System()
	streams.RouteLibraryLogs()
	kill := make(chan struct{})
	env := &app.Env{UI: streams, Kill: kill}
	env.Docker = dockerapp.New(env)
	if o.Cluster != nil {
		env.Cluster = o.Cluster(env)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	// With SIGPIPE notified, a write to a closed stdout (`mlstack train | head`) fails with EPIPE
	// instead of killing mlstack, so a running job is followed to its end and its record completes.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	go func() {
		n := 0
		for range sigs {
			n++
			switch n {
			case 1:
				cancel(stack.ErrInterrupted)
			case 2:
				close(kill)
			default:
				os.Exit(130)
			}
		}
	}()
	root := NewRoot(env)
	err := root.ExecuteContext(ctx)
	streams.CloseProgress()
	return exitCode(streams, err, ctx)
}

// exitCode turns a command's error into the process's exit code, printing the error where there
// is one to print: an ExitError's code, a container's code up returned, 130 after Ctrl-C, else 1.
func exitCode(streams *ui.Streams, err error, ctx context.Context) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			streams.Error(ee.Err)
		}
		return ee.Code
	}
	var se *stack.ServiceExit
	if errors.As(err, &se) {
		return se.Code
	}
	if errors.Is(err, stack.ErrInterrupted) || errors.Is(context.Cause(ctx), stack.ErrInterrupted) {
		return 130
	}
	streams.Error(err)
	return 1
}

// extraCommands lists commands defined in other files of this package (train, watch, profile, ...).
func extraCommands(env *app.Env) []*cobra.Command {
	var out []*cobra.Command
	for _, f := range []func(*app.Env) *cobra.Command{
		newBuildCmd, newTrainCmd, newRunsCmd, newWatchCmd, newProfileCmd, newInitCmd, newLintCmd, newDoctorCmd,
		newRunCmd, newExecCmd, newStopCmd, newStartCmd, newRestartCmd, newKillCmd, newRmCmd, newPullCmd,
		newPortCmd, newTopCmd, newImagesCmd, newLsCmd, newCreateCmd, newSyncdCmd, newDashboardCmd, newExportCmd,
	} {
		if c := f(env); c != nil {
			out = append(out, c)
		}
	}
	return out
}
