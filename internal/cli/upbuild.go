package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/stack"
)

// addBuildFlags adds --build/--no-build/--pull to commands that start services.
func addBuildFlags(cmd *cobra.Command) {}

// prepareBuild sets o.Images so that services with build: are built when their inputs changed.
func prepareBuild(ctx context.Context, env *app.Env, st *stack.Stack, o *stack.UpOptions) error {
	return nil
}
