package kubeapp

import (
	"context"
	"fmt"

	"github.com/mlstack/mlstack/internal/kube"
	"github.com/mlstack/mlstack/internal/pipeline"
)

// Export writes the objects up would apply to dir as a kustomize base, building and pushing built
// services' images first when a registry is given.
func (b *Backend) Export(ctx context.Context, dir string) error {
	p, err := b.env.Load(ctx)
	if err != nil {
		return err
	}
	images, err := b.images(ctx, p, pipeline.Options{})
	if err != nil {
		return err
	}
	files, warnings, err := kube.Export(p.Project, dir, kube.ConvertOptions{Images: images})
	if err != nil {
		return err
	}
	for _, w := range warnings {
		b.env.UI.Warn("%s", w)
	}
	b.env.UI.Info("Wrote %d files to %s", len(files), dir)
	fmt.Fprintln(b.env.UI.Out, dir)
	return nil
}
