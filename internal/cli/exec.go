package cli

import (
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newExecCmd(env *app.Env) *cobra.Command {
	var o stack.ExecOptions
	var noTTY bool
	interactive := true
	var envs []string
	cmd := &cobra.Command{
		Use:   "exec [flags] SERVICE COMMAND [ARGS...]",
		Short: "Run a command in a running service container; exits with the command's code",
		Example: `  mlstack exec inference python -c 'import torch; print(torch.__version__)'
  mlstack exec -T db pg_dump app > dump.sql     # no TTY: clean output for a pipe
  mlstack exec -e DEBUG=1 --index 2 worker env`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Service, o.Command = args[0], args[1:]
			o.Env = expandEnv(envs)
			o.Stdout, o.Stderr = env.UI.Out, env.UI.Err
			o.TTY = !noTTY && env.UI.InTTY && !o.Detach
			if interactive && !o.Detach {
				o.Stdin = env.UI.In
			}
			st, err := env.ExistingStack(cmd.Context())
			if err != nil {
				return err
			}
			if o.TTY {
				restore, size, resized := rawTerminal()
				defer restore()
				o.TermSize, o.Resized = size, resized
			}
			return exitWith(st.Exec(cmd.Context(), o))
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false) // flags after COMMAND belong to the command
	fl.BoolVarP(&o.Detach, "detach", "d", false, "run the command in the background")
	fl.BoolVarP(&noTTY, "no-TTY", "T", false, "don't allocate a TTY (the default when stdin is not a terminal)")
	fl.BoolVarP(&interactive, "interactive", "i", true, "keep stdin open")
	_ = fl.MarkHidden("interactive")
	fl.StringArrayVarP(&envs, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to pass this shell's value)")
	fl.StringVarP(&o.WorkingDir, "workdir", "w", "", "working directory inside the container")
	fl.StringVarP(&o.User, "user", "u", "", "run as this user")
	fl.IntVar(&o.Index, "index", 1, "which container of a scaled service")
	fl.BoolVar(&o.Privileged, "privileged", false, "give extended privileges to the command")
	return cmd
}

// expandEnv resolves bare KEY entries from this process's environment, as docker compose does.
func expandEnv(envs []string) []string {
	var out []string
	for _, e := range envs {
		if strings.Contains(e, "=") {
			out = append(out, e)
			continue
		}
		if v, ok := os.LookupEnv(e); ok {
			out = append(out, e+"="+v)
		}
	}
	return out
}

// rawTerminal puts stdin in raw mode so keys reach the command unprocessed, and reports the
// terminal's size and its changes (SIGWINCH).
func rawTerminal() (restore func(), size func() (uint, uint, bool), resized <-chan struct{}) {
	in, out := int(os.Stdin.Fd()), int(os.Stdout.Fd())
	restore = func() {}
	if state, err := term.MakeRaw(in); err == nil {
		restore = func() { _ = term.Restore(in, state) }
	}
	size = func() (uint, uint, bool) {
		w, h, err := term.GetSize(out)
		if err != nil {
			if w, h, err = term.GetSize(in); err != nil {
				return 0, 0, false
			}
		}
		return uint(h), uint(w), true
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	ch := make(chan struct{}, 1)
	go func() {
		for range sig {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}()
	done := restore
	restore = func() { signal.Stop(sig); close(sig); done() }
	return restore, size, ch
}
