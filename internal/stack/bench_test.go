package stack

import (
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

// benchService is an inference service as an ML stack writes it: image, command, environment,
// ports, volumes, a healthcheck and dependencies.
func benchService() types.ServiceConfig {
	interval := types.Duration(time.Second)
	port := "8080"
	s := types.ServiceConfig{Name: "inference"}
	s.Image = "mlstack-fixture:latest"
	s.Command = types.ShellCommand{"serve", "--healthy-after", "1s"}
	s.Environment = types.MappingWithEquals{"MLFLOW_TRACKING_URI": &port, "MODEL_NAME": &port}
	s.Ports = []types.ServicePortConfig{{Target: 8080, Published: "8080", HostIP: "127.0.0.1", Protocol: "tcp"}}
	s.Volumes = []types.ServiceVolumeConfig{{Type: "bind", Source: "/srv/models", Target: "/models", ReadOnly: true}}
	s.HealthCheck = &types.HealthCheckConfig{Test: types.HealthCheckTest{"CMD", "/fixture", "probe"}, Interval: &interval}
	s.DependsOn = types.DependsOnConfig{"tracking": {Condition: "service_healthy", Required: true}}
	s.Labels = types.Labels{"team": "ml"}
	return s
}

// BenchmarkConfigHash is the per-service cost of the no-op fast path's convergence decision.
func BenchmarkConfigHash(b *testing.B) {
	s := benchService()
	for b.Loop() {
		if _, err := ConfigHash(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkContainerSpec maps one service to its container create request, as up does per service.
func BenchmarkContainerSpec(b *testing.B) {
	s := benchService()
	s.Volumes[0].Source = b.TempDir() // ContainerSpec checks that a bind source exists
	p := &types.Project{Name: "bench", WorkingDir: "/srv", Services: types.Services{s.Name: s}}
	for b.Loop() {
		if _, err := ContainerSpec(SpecInput{Project: p, Service: s, Number: 1, ConfigHash: "x", ImageID: "sha256:0", APIVersion: "1.41"}); err != nil {
			b.Fatal(err)
		}
	}
}
