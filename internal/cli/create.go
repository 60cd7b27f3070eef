package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newCreateCmd(env *app.Env) *cobra.Command {
	var o stack.UpOptions
	var scale []string
	var img *imageFlags
	cmd := &cobra.Command{
		Use:     "create [SERVICE...]",
		Short:   "Create the project's containers, networks and volumes without starting them",
		Example: "  mlstack create && mlstack start",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Services = args
			o.NoStart, o.Detach = true, true
			if o.ForceRecreate && o.NoRecreate {
				return usageErr("--force-recreate and --no-recreate cannot be combined")
			}
			s, err := parseScale(scale)
			if err != nil {
				return err
			}
			o.Scale = s
			return runUp(cmd, env, o, img)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.ForceRecreate, "force-recreate", false, "recreate containers even if unchanged")
	fl.BoolVar(&o.NoRecreate, "no-recreate", false, "keep existing containers even if changed")
	fl.BoolVar(&o.RemoveOrphans, "remove-orphans", false, "remove containers of services the project no longer has")
	fl.StringArrayVar(&scale, "scale", nil, "scale SERVICE to NUM instances (SERVICE=NUM)")
	img = addImageFlags(cmd, "")
	return cmd
}
