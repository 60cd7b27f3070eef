package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/docker/cli/cli/config"
	dcontext "github.com/docker/cli/cli/context"
	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	"github.com/docker/docker/client"
)

// endpoint is the docker CLI's endpoint (address, SkipTLSVerify, TLS material) and where it came from.
type endpoint struct {
	docker.Endpoint
	Origin string
}

// resolveEndpoint follows the docker CLI's precedence, with -H first where the CLI refuses -H with
// --context: an explicit host, a context named by --context, DOCKER_HOST, a context named by
// DOCKER_CONTEXT or config.json's currentContext, then the default socket. cfgDir is the docker CLI's
// configuration directory (DOCKER_CONFIG, else ~/.docker), which holds config.json and the context store.
func resolveEndpoint(o Options, cfgDir string) (endpoint, error) {
	if o.Host != "" {
		return hostEndpoint(o.Host, "--host", cfgDir)
	}
	name, from := o.Context, "--context"
	if name == "" {
		if h := os.Getenv(client.EnvOverrideHost); h != "" {
			return hostEndpoint(h, client.EnvOverrideHost, cfgDir)
		}
		name, from = os.Getenv("DOCKER_CONTEXT"), "DOCKER_CONTEXT"
	}
	if name == "" {
		// A config.json that does not parse leaves the docker CLI on its default context too.
		if cfg, err := config.Load(cfgDir); err == nil {
			name, from = cfg.CurrentContext, "currentContext in "+cfg.Filename
		}
	}
	if name == "" || name == "default" {
		return hostEndpoint("", "", cfgDir)
	}
	return contextEndpoint(name, from, cfgDir)
}

// contextEndpoint reads a named context's docker endpoint and its TLS material from the context store.
func contextEndpoint(name, from, cfgDir string) (endpoint, error) {
	s := store.New(filepath.Join(cfgDir, "contexts"), store.NewConfig(nil,
		store.EndpointTypeGetter(docker.DockerEndpoint, func() any { return &docker.EndpointMeta{} })))
	meta, err := s.GetMetadata(name)
	if err != nil {
		var missing *fs.PathError
		if errors.Is(err, fs.ErrNotExist) && errors.As(err, &missing) {
			return endpoint{}, fmt.Errorf("docker context %q (from %s) not found: no %s", name, from, missing.Path)
		}
		return endpoint{}, fmt.Errorf("docker context from %s: %w", from, err)
	}
	epMeta, err := docker.EndpointFromContext(meta)
	if err != nil || epMeta.Host == "" {
		return endpoint{}, fmt.Errorf("docker context %q (from %s) has no docker endpoint (%s)", name, from, s.GetStorageInfo(name).MetadataPath)
	}
	ep, err := docker.WithTLSData(s, name, epMeta)
	if err != nil {
		return endpoint{}, fmt.Errorf("docker context %q (from %s): TLS material in %s: %w", name, from, s.GetStorageInfo(name).TLSPath, err)
	}
	return endpoint{Endpoint: ep, Origin: fmt.Sprintf("context %q", name)}, nil
}

// hostEndpoint is the docker CLI's default context: host (or the default address when empty) with the
// TLS the environment asks for. DOCKER_TLS_VERIFY or DOCKER_TLS turns TLS on, with ca.pem (required),
// cert.pem and key.pem (when present) from DOCKER_CERT_PATH, else the config directory; only
// DOCKER_TLS_VERIFY verifies the engine's certificate. With TLS on and no host, the CLI's default
// is tcp://localhost:2376.
func hostEndpoint(host, origin, cfgDir string) (endpoint, error) {
	verify := os.Getenv(client.EnvTLSVerify) != ""
	tlsOn := verify || os.Getenv("DOCKER_TLS") != ""
	switch {
	case host != "":
	case tlsOn:
		host, origin = "tcp://localhost:2376", "default with "+client.EnvTLSVerify
	default:
		host, origin = client.DefaultDockerHost, "default socket"
	}
	ep := endpoint{Endpoint: docker.Endpoint{EndpointMeta: docker.EndpointMeta{Host: host, SkipTLSVerify: tlsOn && !verify}}, Origin: origin}
	if !tlsOn {
		return ep, nil
	}
	dir := os.Getenv(client.EnvOverrideCertPath)
	if dir == "" {
		dir = cfgDir
	}
	ifPresent := func(f string) string {
		if _, err := os.Stat(f); err != nil {
			return ""
		}
		return f
	}
	data, err := dcontext.TLSDataFromFiles(filepath.Join(dir, "ca.pem"), ifPresent(filepath.Join(dir, "cert.pem")), ifPresent(filepath.Join(dir, "key.pem")))
	if err != nil {
		return endpoint{}, fmt.Errorf("docker host %s (%s) with TLS (%s or DOCKER_TLS set): %w", host, origin, client.EnvTLSVerify, err)
	}
	ep.TLSData = data
	return ep, nil
}
