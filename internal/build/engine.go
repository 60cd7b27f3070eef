package build

import (
	"context"
	"io"

	dockerbuild "github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"

	"github.com/mlstack/mlstack/internal/engine"
)

// Engine is every engine call a build makes: the classic builder, image lookups and names, base
// image pulls and the pruning of replaced images. *engine.Client is the production one;
// internal/enginefake builds without running anything, for unit tests.
type Engine interface {
	ImageBuild(ctx context.Context, buildContext io.Reader, options dockerbuild.ImageBuildOptions) (dockerbuild.ImageBuildResponse, error)
	ImageInspect(ctx context.Context, ref string, opts ...engine.ImageInspectOption) (image.InspectResponse, error)
	ImageList(ctx context.Context, options image.ListOptions) ([]image.Summary, error)
	ImageRemove(ctx context.Context, ref string, options image.RemoveOptions) ([]image.DeleteResponse, error)
	ImageTag(ctx context.Context, source, ref string) error
	Pull(ctx context.Context, ref string) error
}

// Pusher is what Push needs of the engine.
type Pusher interface {
	ImageTag(ctx context.Context, source, ref string) error
	ImagePush(ctx context.Context, ref string, options image.PushOptions) (io.ReadCloser, error)
}

var (
	_ Engine = (*engine.Client)(nil)
	_ Pusher = (*engine.Client)(nil)
)
