package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/project"
)

func newConfigCmd(env *app.Env) *cobra.Command {
	var services, profiles, quiet, volumes bool
	var format string
	cmd := &cobra.Command{
		Use:     "config [SERVICE...]",
		Short:   "Validate the project and print it resolved (interpolated, merged, normalised)",
		Example: "  mlstack config\n  mlstack config --services\n  mlstack --profile training config --format json",
		RunE: func(cmd *cobra.Command, args []string) error {
			// Services named here are enabled with their profiles, as compose does; --profiles lists
			// every service's profiles, on or off, without loading the off ones.
			g := env.Global.Project
			g.Services = append(g.Services, args...)
			p, err := project.Load(cmd.Context(), g)
			if err != nil {
				return err
			}
			if err := p.CheckServices(args); err != nil {
				return err
			}
			out := env.UI.Out
			switch {
			case quiet:
				return nil
			case services:
				fmt.Fprintln(out, strings.Join(p.ServiceNames(), "\n"))
				return nil
			case profiles:
				for _, pr := range project.KnownProfiles(p.All) {
					fmt.Fprintln(out, pr)
				}
				return nil
			case volumes:
				for _, v := range p.VolumeNames() {
					fmt.Fprintln(out, v)
				}
				return nil
			}
			b, err := p.Render(format, args)
			if err != nil {
				return err
			}
			_, err = out.Write(b)
			return err
		},
	}
	cmd.Flags().BoolVar(&services, "services", false, "print the enabled services' names")
	cmd.Flags().BoolVar(&profiles, "profiles", false, "print every profile the project names")
	cmd.Flags().BoolVar(&volumes, "volumes", false, "print the volume names")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "only validate")
	addFormatFlag(cmd, &format, "", "yaml", "json")
	return cmd
}
