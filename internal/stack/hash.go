package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/compose-spec/compose-go/v2/types"
)

// ConfigHash is the service's configuration hash, computed as docker compose v2 computes it (the
// service's JSON without build, pull policy, scale, replicas, depends_on and profiles), so a container
// created by either tool is recognised as up to date by the other when both load the same file with
// the same compose-go version.
func ConfigHash(s types.ServiceConfig) (string, error) {
	s.Build = nil
	s.PullPolicy = ""
	s.Scale = nil
	if s.Deploy != nil {
		d := *s.Deploy
		d.Replicas = nil
		s.Deploy = &d
	}
	s.DependsOn = nil
	s.Profiles = nil
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("hash service %q: %w", s.Name, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
