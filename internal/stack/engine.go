package stack

import (
	"context"
	"io"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mlstack/mlstack/internal/engine"
)

// Engine is every engine call the stack use cases make: the Engine API's own methods (with its
// request types) plus the streams internal/engine adds. *engine.Client is the production one;
// internal/enginefake is an in-memory one for unit tests.
type Engine interface {
	// ClientVersion is the negotiated Engine API version.
	ClientVersion() string
	// IsLocal reports whether host-side checks (free ports, bind paths) mean something.
	IsLocal() bool
	// Addr is the engine address dialled; it keys the cache of engine IDs the project lock uses.
	Addr() string
	// Info is the engine's system information; its ID names the engine in the project lock.
	Info(ctx context.Context) (system.Info, error)
	// ServerVersion is the engine's version and the newest Engine API it speaks.
	ServerVersion(ctx context.Context) (types.Version, error)

	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
	ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig, networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, name string) (container.CreateResponse, error)
	ContainerStart(ctx context.Context, id string, options container.StartOptions) error
	ContainerStop(ctx context.Context, id string, options container.StopOptions) error
	ContainerKill(ctx context.Context, id, signal string) error
	ContainerRestart(ctx context.Context, id string, options container.StopOptions) error
	ContainerRemove(ctx context.Context, id string, options container.RemoveOptions) error
	ContainerWait(ctx context.Context, id string, condition container.WaitCondition) (<-chan container.WaitResponse, <-chan error)
	ContainerTop(ctx context.Context, id string, arguments []string) (container.TopResponse, error)

	// StartExec and Exec run a command in a running container (engine.StartExecOn over the fake).
	StartExec(ctx context.Context, id string, o engine.ExecOptions) (*engine.Exec, error)
	Exec(ctx context.Context, id string, o engine.ExecOptions, stdout, stderr io.Writer) (int, error)

	ImageInspect(ctx context.Context, ref string, opts ...engine.ImageInspectOption) (image.InspectResponse, error)
	ImageRemove(ctx context.Context, ref string, options image.RemoveOptions) ([]image.DeleteResponse, error)
	Pull(ctx context.Context, ref string) error

	NetworkCreate(ctx context.Context, name string, options network.CreateOptions) (network.CreateResponse, error)
	NetworkList(ctx context.Context, options network.ListOptions) ([]network.Summary, error)
	NetworkInspect(ctx context.Context, id string, options network.InspectOptions) (network.Inspect, error)
	NetworkRemove(ctx context.Context, id string) error
	NetworkConnect(ctx context.Context, networkID, containerID string, config *network.EndpointSettings) error

	VolumeCreate(ctx context.Context, options volume.CreateOptions) (volume.Volume, error)
	VolumeInspect(ctx context.Context, name string) (volume.Volume, error)
	VolumeList(ctx context.Context, options volume.ListOptions) (volume.ListResponse, error)
	VolumeRemove(ctx context.Context, name string, force bool) error

	ContainerEvents(ctx context.Context, labelFilters ...string) (<-chan events.Message, <-chan error)
	Attach(ctx context.Context, id string, tty bool, stdout, stderr io.Writer) (<-chan error, error)
	AttachIO(ctx context.Context, id string, tty bool, stdin io.Reader, stdout, stderr io.Writer) (<-chan error, error)
	Logs(ctx context.Context, id string, tty bool, o engine.LogOptions, stdout, stderr io.Writer) error
	LastLines(ctx context.Context, id string, n int) []string
}

var _ Engine = (*engine.Client)(nil)
