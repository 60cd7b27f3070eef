package gpu

import (
	"context"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mlstack/mlstack/internal/engine"
)

// Engine is every engine call GPU detection makes: the engine's identity and runtimes, and the
// probe container (its image, create, start, remove, and finding the ones left behind).
// *engine.Client is the production one; internal/enginefake, with or without a GPU, the tests'.
type Engine interface {
	// Addr is the engine address dialled; with the engine's ID it keys the detection cache.
	Addr() string
	// ClientVersion is the negotiated Engine API version, which decides whether CDI names can be sent.
	ClientVersion() string
	Info(ctx context.Context) (system.Info, error)

	ImageInspect(ctx context.Context, ref string, opts ...engine.ImageInspectOption) (image.InspectResponse, error)
	ImageList(ctx context.Context, options image.ListOptions) ([]image.Summary, error)

	ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig, networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, name string) (container.CreateResponse, error)
	ContainerStart(ctx context.Context, id string, options container.StartOptions) error
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
	ContainerRemove(ctx context.Context, id string, options container.RemoveOptions) error
}

var _ Engine = (*engine.Client)(nil)
