// Command endpointcost is mlstack with the docker CLI's context store and SSH connection helper linked
// in and reachable, so run.sh can compare its size and start-up with bin/mlstack's.
package main

import (
	"fmt"
	"os"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/connhelper"
	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"

	"github.com/mlstack/mlstack/internal/cli"
)

func main() {
	// Never set in the measurement: the branch only keeps the docker CLI's code in the binary.
	if name := os.Getenv("ENDPOINTCOST_RESOLVE"); name != "" {
		s := store.New(config.ContextStoreDir(), store.NewConfig(func() any { return &docker.EndpointMeta{} }, store.EndpointTypeGetter(docker.DockerEndpoint, func() any { return &docker.EndpointMeta{} })))
		meta, err := s.GetMetadata(name)
		fmt.Fprintln(os.Stderr, "context metadata:", meta, err)
		h, err := connhelper.GetConnectionHelper(os.Getenv("DOCKER_HOST"))
		fmt.Fprintln(os.Stderr, "connection helper:", h, err)
	}
	os.Exit(cli.Execute())
}
