package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
)

func newExportCmd(env *app.Env) *cobra.Command {
	export := &cobra.Command{
		Use:     "export",
		Short:   "Write the project for another platform",
		Example: "  mlstack export kubernetes -o deploy/base",
	}
	var dir string
	k8s := &cobra.Command{
		Use:   "kubernetes -o DIR",
		Short: "Write the manifests `up` would apply on a cluster, as a kustomize base",
		Long: `Write the Kubernetes objects of the project's active services (see docs/kubernetes.md) as a
kustomize base: one file per service, headed by a comment naming the compose service, plus
kustomization.yaml. Argo CD sync-wave annotations keep the dependency order (one-shot services are
Jobs in an earlier wave than their dependents). Built services need --registry: their images are
built and pushed, and the manifests name the pushed digests. Secret values are never written.`,
		Example:     "  mlstack export kubernetes -o deploy/base\n  kubectl apply -k deploy/base -n team-ml",
		Args:        cobra.NoArgs,
		Annotations: onCluster(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageErr("export kubernetes: give the output directory with -o DIR")
			}
			c, err := env.ClusterBackend()
			if err != nil {
				return err
			}
			return c.Export(cmd.Context(), dir)
		},
	}
	k8s.Flags().StringVarP(&dir, "output", "o", "", "directory to write the kustomize base to")
	export.AddCommand(k8s)
	return export
}
