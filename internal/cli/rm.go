package cli

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newRmCmd(env *app.Env) *cobra.Command {
	var o stack.RmOptions
	var force bool
	cmd := &cobra.Command{
		Use:     "rm [SERVICE...]",
		Short:   "Remove the project's stopped containers",
		Example: "  mlstack rm -f            # stopped containers, no question\n  mlstack rm -sf worker    # stop worker first, then remove it",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Services = args
			if !force {
				o.Confirm = func(names []string) (bool, error) { return confirmRemove(env, names) }
			}
			st, err := env.ExistingStack(cmd.Context())
			if err != nil {
				return err
			}
			err = st.Rm(cmd.Context(), o)
			if errors.Is(err, stack.ErrNotConfirmed) {
				env.UI.Info("Nothing removed")
				return nil
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "don't ask to confirm removal")
	cmd.Flags().BoolVarP(&o.Stop, "stop", "s", false, "stop the containers first if needed")
	cmd.Flags().BoolVarP(&o.Volumes, "volumes", "v", false, "remove anonymous volumes attached to the containers")
	return cmd
}

// confirmRemove asks on the terminal; without one there is nobody to ask, so it says how to proceed.
func confirmRemove(env *app.Env, names []string) (bool, error) {
	if !env.UI.InTTY {
		return false, fmt.Errorf("would remove %s; stdin is not a terminal, so pass -f to confirm", strings.Join(names, ", "))
	}
	fmt.Fprintf(env.UI.Err, "Going to remove %s\n? Are you sure? [y/N] ", strings.Join(names, ", "))
	line, _ := bufio.NewReader(env.UI.In).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}
