package build

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
)

// Push tags the image id as ref (registry/name:tag) and pushes it through the engine with the
// credentials `docker login` stored for the registry; it returns ref's repository at the pushed
// digest (registry/name@sha256:...), which a cluster pulls exactly.
func Push(ctx context.Context, eng Pusher, id, ref string) (string, error) {
	repo, _, _ := strings.Cut(ref, "@")
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	host, _, _ := strings.Cut(repo, "/")
	auth, err := registryAuth(host)
	if err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	if err := eng.ImageTag(ctx, id, ref); err != nil {
		return "", fmt.Errorf("tag %s as %s: %w", id, ref, err)
	}
	rc, err := eng.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: auth})
	if err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	defer rc.Close()
	digest, err := pushDigest(rc)
	if err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	return repo + "@" + digest, nil
}

// pushDigest reads the engine's push progress stream: an error line fails the push; the aux line
// carries the manifest digest.
func pushDigest(r io.Reader) (string, error) {
	dec := json.NewDecoder(r)
	digest := ""
	for {
		var m struct {
			Error string `json:"error"`
			Aux   struct {
				Digest string `json:"Digest"`
			} `json:"aux"`
		}
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", fmt.Errorf("read the push stream: %w", err)
		}
		if m.Error != "" {
			return "", errors.New(m.Error)
		}
		if m.Aux.Digest != "" {
			digest = m.Aux.Digest
		}
	}
	if digest == "" {
		return "", errors.New("the engine reported no digest")
	}
	return digest, nil
}

// registryAuth is the X-Registry-Auth value for host from the docker CLI's config
// ($DOCKER_CONFIG/config.json, else ~/.docker/config.json): a credential helper's answer, or the
// stored auth; empty credentials when there are none (public or local registries).
func registryAuth(host string) (string, error) {
	cfg, err := dockerConfig()
	if err != nil {
		return "", err
	}
	var ac registry.AuthConfig
	helper := cfg.CredHelpers[host]
	if helper == "" {
		helper = cfg.CredsStore
	}
	if a, ok := cfg.Auths[host]; ok && a.Auth != "" {
		raw, err := base64.StdEncoding.DecodeString(a.Auth)
		if err != nil {
			return "", fmt.Errorf("docker config: auths.%s.auth is not base64: %w", host, err)
		}
		ac.Username, ac.Password, _ = strings.Cut(string(raw), ":")
	} else if helper != "" {
		ac, err = fromHelper(helper, host)
		if err != nil {
			return "", err
		}
	}
	ac.ServerAddress = host
	b, err := json.Marshal(ac)
	if err != nil {
		return "", err
	}
	return base64.URLEncoding.EncodeToString(b), nil
}

type dockerCLIConfig struct {
	Auths map[string]struct {
		Auth string `json:"auth"`
	} `json:"auths"`
	CredsStore  string            `json:"credsStore"`
	CredHelpers map[string]string `json:"credHelpers"`
}

func dockerConfig() (dockerCLIConfig, error) {
	var cfg dockerCLIConfig
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return cfg, nil
		}
		dir = filepath.Join(home, ".docker")
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("read the docker config: %w", err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, fmt.Errorf("docker config %s: %w", filepath.Join(dir, "config.json"), err)
	}
	return cfg, nil
}

// fromHelper asks docker-credential-<helper> for host's credentials; none stored is not an error.
func fromHelper(helper, host string) (registry.AuthConfig, error) {
	cmd := exec.Command("docker-credential-"+helper, "get")
	cmd.Stdin = strings.NewReader(host)
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(string(out), "credentials not found") {
			return registry.AuthConfig{}, nil
		}
		return registry.AuthConfig{}, fmt.Errorf("credential helper docker-credential-%s for %s: %w", helper, host, err)
	}
	var c struct{ Username, Secret string }
	if err := json.Unmarshal(out, &c); err != nil {
		return registry.AuthConfig{}, fmt.Errorf("credential helper docker-credential-%s: %w", helper, err)
	}
	ac := registry.AuthConfig{Username: c.Username, Password: c.Secret}
	if c.Username == "<token>" {
		ac = registry.AuthConfig{IdentityToken: c.Secret}
	}
	return ac, nil
}
