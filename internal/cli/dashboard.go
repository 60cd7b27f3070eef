package cli

import (
	"context"
	"fmt"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/dashboard"
)

func newDashboardCmd(env *app.Env) *cobra.Command {
	var o dashboard.Options
	var open bool
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve a live page of the stack, its logs and the training runs on 127.0.0.1",
		Long: `Serve one local page with every service of the project (all profiles) as its depends_on
graph with live state, health and ports; live logs; and the training runs with their metrics.
It listens on 127.0.0.1 only and prints the page's URL as the first line of output; the URL
carries a random token the page needs (unless --no-token). It runs until Ctrl-C and changes
the stack only when you confirm an action on the page (restart a service, stop a training job).`,
		Example: `  mlstack dashboard                 # a free port; open the printed URL
  mlstack dashboard --port 8765 --open`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := env.Stack(ctx)
			if err != nil {
				return err
			}
			err = dashboard.Serve(ctx, st, o, func(url string) {
				fmt.Fprintln(env.UI.Out, url)
				env.UI.Info("dashboard of project %q; Ctrl-C stops it", st.Name())
				if open {
					openBrowser(ctx, env, url)
				}
			})
			if err != nil {
				return err
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&o.Port, "port", 0, "port on 127.0.0.1 (default: a free one)")
	fl.BoolVar(&open, "open", false, "open the page in the default browser; the URL with its token is then on a command line other local users can see (ps)")
	fl.BoolVar(&o.NoToken, "no-token", false, "serve without the token: anyone on this machine who finds the port sees the page and its actions")
	return cmd
}

// openBrowser hands the URL to the desktop's opener; failing that, the printed URL is still there.
func openBrowser(ctx context.Context, env *app.Env, url string) {
	c := exec.CommandContext(context.WithoutCancel(ctx), "xdg-open", url)
	if err := c.Start(); err != nil {
		env.UI.Warn("--open: %v; open the URL above yourself", err)
		return
	}
	go c.Wait() // reap it; the page opens or the user opens the URL above

}
