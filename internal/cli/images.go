package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

func newImagesCmd(env *app.Env) *cobra.Command {
	var o stack.ImagesOptions
	cmd := &cobra.Command{
		Use:     "images [SERVICE...]",
		Short:   "List the images the project's containers use",
		Example: "  mlstack images\n  mlstack images --format json | jq '.[].Size'",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Services = args
			st, err := env.ExistingStack(cmd.Context())
			if err != nil {
				return err
			}
			views, err := st.Images(cmd.Context(), o)
			if err != nil {
				return err
			}
			return st.WriteImages(env.UI.Out, views, o)
		},
	}
	addFormatFlag(cmd, &o.Format, "json: an array, as compose prints it", "table", "json")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "only print image IDs")
	return cmd
}
