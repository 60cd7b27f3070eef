package cli

import (
	"slices"
	"testing"

	"github.com/mlstack/mlstack/internal/app"
)

// Exactly the commands with a cluster backend are handed to mlstack-kube: under a kube context
// up, down, ps, logs, run and train; export kubernetes always; nothing on Docker but export.
func TestWhichCommandsNeedTheClusterBackend(t *testing.T) {
	onDocker := &app.Env{}
	onKube := &app.Env{Global: app.Global{Kube: app.ClusterOptions{Context: "prod"}}}
	t.Setenv("MLSTACK_KUBE_CONTEXT", "")
	var docker, kube []string
	for _, c := range allCommands(testRoot()) {
		if needsCluster(c, onDocker) {
			docker = append(docker, c.CommandPath())
		}
		if needsCluster(c, onKube) {
			kube = append(kube, c.CommandPath())
		}
	}
	slices.Sort(kube)
	if want := []string{"mlstack export kubernetes"}; !slices.Equal(docker, want) {
		t.Errorf("on Docker, handed off: %v, want %v", docker, want)
	}
	want := []string{"mlstack down", "mlstack export kubernetes", "mlstack logs", "mlstack ps", "mlstack run", "mlstack train", "mlstack up"}
	if !slices.Equal(kube, want) {
		t.Errorf("under a kube context, handed off: %v, want %v", kube, want)
	}
}
