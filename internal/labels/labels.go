// Package labels names the com.docker.compose.* labels shared with Docker Compose, plus mlstack's own.
package labels

import "fmt"

// Labels Docker Compose puts on containers, networks and volumes; mlstack writes and reads the same
// ones so that `docker compose ps/down` see mlstack's stack and mlstack sees compose's.
const (
	Project            = "com.docker.compose.project"
	Service            = "com.docker.compose.service"
	ContainerNumber    = "com.docker.compose.container-number"
	OneOff             = "com.docker.compose.oneoff"
	Slug               = "com.docker.compose.slug"
	ConfigHash         = "com.docker.compose.config-hash"
	WorkingDir         = "com.docker.compose.project.working_dir"
	ConfigFiles        = "com.docker.compose.project.config_files"
	EnvironmentFile    = "com.docker.compose.project.environment_file"
	Version            = "com.docker.compose.version"
	DependsOn          = "com.docker.compose.depends_on"
	Image              = "com.docker.compose.image"
	Network            = "com.docker.compose.network"
	Volume             = "com.docker.compose.volume"
	Replace            = "com.docker.compose.replace"
	ContainerNumberOne = "1"
)

// mlstack's own labels: they add to compose's, never replace them.
const (
	// Tool marks resources mlstack created, so users can tell which tool made a container.
	Tool = "dev.mlstack.tool"
	// GPURequested records what a service asked for, for ps and run records.
	GPURequested = "dev.mlstack.gpus"
)

// ComposeVersion is the compose version written to com.docker.compose.version. docker-compose 1.x
// compares it with its own and only warns, and compose v2 ignores it for convergence.
const ComposeVersion = "2.29.0"

// ProjectFilter is the label filter value selecting every resource of a project.
func ProjectFilter(project string) string { return fmt.Sprintf("%s=%s", Project, project) }

// ServiceFilter is the label filter value selecting one service's resources.
func ServiceFilter(service string) string { return fmt.Sprintf("%s=%s", Service, service) }
