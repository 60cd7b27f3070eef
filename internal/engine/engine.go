// Package engine is mlstack's only door to the Docker Engine API: it resolves which engine to talk to,
// negotiates the API version, and wraps the streams (events, attach, logs, exec) the app layer waits on.
package engine

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/cli/cli/config"
	"github.com/docker/docker/client"
)

// MinAPIVersion is the oldest Engine API mlstack speaks (Debian's docker.io 20.10).
const MinAPIVersion = "1.41"

// Options say which engine to reach; empty fields fall back to DOCKER_HOST, DOCKER_CONTEXT and the
// docker CLI's current context, as the docker CLI does.
type Options struct {
	Host    string // explicit engine address (unix://, tcp://, ssh://)
	Context string // docker context name (--context)
}

// Client is a negotiated connection to one engine. The embedded APIClient gives the app layer the
// Engine API's own calls and types; the methods below add what mlstack needs on top.
type Client struct {
	client.APIClient
	// Host is the address dialled, for messages.
	Host string
	// Origin says where Host came from (DOCKER_HOST, context "x", default), for messages.
	Origin string
	// APIVersion is the negotiated Engine API version.
	APIVersion string
}

// Connect resolves the engine, negotiates the API version and checks the engine answers within a
// second, so a missing daemon is one clear line instead of a hang.
func Connect(ctx context.Context, o Options) (*Client, error) {
	ep, err := resolveEndpoint(o, config.Dir())
	if err != nil {
		return nil, err
	}
	return connect(ctx, ep)
}

func connect(ctx context.Context, ep endpoint) (*Client, error) {
	opts, ssh, err := clientOpts(ep)
	if err != nil {
		return nil, err
	}
	api, err := client.NewClientWithOpts(append(opts, client.WithAPIVersionNegotiation())...)
	if err != nil {
		return nil, fmt.Errorf("docker engine at %s (%s): %w", ep.Host, ep.Origin, err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, pingTimeout(ep.Host))
	defer cancel()
	ping, err := api.Ping(pingCtx)
	if err != nil {
		api.Close()
		if said := sshSaid(err); ssh && said != "" {
			return nil, fmt.Errorf("cannot reach the Docker engine at %s (%s): %w", ep.Host, ep.Origin, sshError{said: said, err: err})
		}
		return nil, unreachable(ep, err)
	}
	if ping.APIVersion != "" && versionLess(ping.APIVersion, MinAPIVersion) {
		api.Close()
		return nil, fmt.Errorf("docker engine at %s speaks Engine API %s; mlstack needs %s or newer (Docker Engine 20.10+)", ep.Host, ping.APIVersion, MinAPIVersion)
	}
	api.NegotiateAPIVersionPing(ping)
	return &Client{APIClient: api, Host: ep.Host, Origin: ep.Origin, APIVersion: api.ClientVersion()}, nil
}

func pingTimeout(host string) time.Duration {
	switch {
	case strings.HasPrefix(host, "unix://") || strings.HasPrefix(host, "npipe://"):
		return time.Second
	case strings.HasPrefix(host, "ssh://"):
		// An ssh login and a remote docker CLI's start; the connection helper gives ssh 30 s to connect.
		return 30 * time.Second
	}
	// A remote engine pays a network round trip.
	return 10 * time.Second
}

func unreachable(ep endpoint, err error) error {
	hint := "is dockerd running?"
	var nerr *net.OpError
	var untrusted *tls.CertificateVerificationError
	switch {
	case errors.As(err, &untrusted):
		return fmt.Errorf("cannot reach the Docker engine at %s (%s): its TLS certificate is not trusted (check the ca.pem of the context or of DOCKER_CERT_PATH): %w", ep.Host, ep.Origin, untrusted)
	case errors.As(err, &nerr) && strings.HasPrefix(ep.Host, "unix://"):
		if os.IsPermission(nerr.Err) || strings.Contains(nerr.Error(), "permission denied") {
			hint = "permission denied: add your user to the docker group or run as root"
		} else {
			hint = "is dockerd running? (start it with `sudo systemctl start docker` or `sudo dockerd &`)"
		}
	case errors.Is(err, context.DeadlineExceeded):
		hint = "no answer in time; is dockerd running and reachable?"
	}
	return fmt.Errorf("cannot reach the Docker engine at %s (%s): %s", ep.Host, ep.Origin, hint)
}

// versionLess compares dotted API versions numerically ("1.9" < "1.41").
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			fmt.Sscanf(as[i], "%d", &x)
		}
		if i < len(bs) {
			fmt.Sscanf(bs[i], "%d", &y)
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// AtLeast reports whether the negotiated API version is v or newer.
func (c *Client) AtLeast(v string) bool { return !versionLess(c.APIVersion, v) }

// Addr is Host, for interfaces over the client (internal/stack keys its cache of engine IDs by it).
func (c *Client) Addr() string { return c.Host }

// IsLocal reports whether the engine runs on this host, so host-side checks (free ports, bind paths)
// mean something.
func (c *Client) IsLocal() bool {
	return strings.HasPrefix(c.Host, "unix://") || strings.HasPrefix(c.Host, "npipe://") ||
		strings.Contains(c.Host, "://127.0.0.1") || strings.Contains(c.Host, "://localhost")
}

// IsNotFound reports whether err is the engine's "no such object" answer.
func IsNotFound(err error) bool { return cerrdefs.IsNotFound(err) }

// IsConflict reports whether err is the engine's "already exists / in use" answer.
func IsConflict(err error) bool { return cerrdefs.IsConflict(err) }

// ImageInspectOption is the client's option type for ImageInspect, re-exported so that interfaces
// over the client (internal/stack's Engine) can name it without importing the client.
type ImageInspectOption = client.ImageInspectOption
