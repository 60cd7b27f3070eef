package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
)

// KubeBinary is the binary with the Kubernetes backend (cmd/mlstack-kube): the same commands as
// mlstack plus client-go, which costs every other command 22 MB and twice the memory, so mlstack
// leaves it out and hands cluster commands to it.
const KubeBinary = "mlstack-kube"

// backendAnnotation says which backend a command runs on: "either" (app.Backend: Docker, or the
// cluster under a kube context) or "cluster" (always the cluster backend: export kubernetes).
const backendAnnotation = "mlstack.backend"

// handOffEnv is set in mlstack-kube's environment by the hand-off, so a binary without the backend
// named mlstack-kube (a copy of mlstack) fails instead of starting itself forever.
const handOffEnv = "MLSTACK_HANDED_OFF"

func onBackend() map[string]string { return map[string]string{backendAnnotation: "either"} }
func onCluster() map[string]string { return map[string]string{backendAnnotation: "cluster"} }

// needsCluster reports whether cmd, as invoked, runs on the cluster backend.
func needsCluster(cmd *cobra.Command, env *app.Env) bool {
	switch cmd.Annotations[backendAnnotation] {
	case "cluster":
		return true
	case "either":
		return env.OnCluster()
	}
	return false
}

// handOff replaces this process with mlstack-kube, same arguments and environment: the hand-off
// happens before the command does anything, and signals, the terminal and the exit code are then
// mlstack-kube's own. It returns only when mlstack-kube cannot be started.
func handOff() error {
	if os.Getenv(handOffEnv) != "" {
		return fmt.Errorf("%s (%s) has no Kubernetes backend either: reinstall both binaries with make install", KubeBinary, os.Getenv(handOffEnv))
	}
	path, err := findKubeBinary()
	if err != nil {
		return err
	}
	environ := append(os.Environ(), handOffEnv+"="+path)
	if err := syscall.Exec(path, append([]string{path}, os.Args[1:]...), environ); err != nil {
		return fmt.Errorf("start %s for the Kubernetes backend: %w", path, err)
	}
	return nil
}

// findKubeBinary looks for mlstack-kube next to this executable (through symlinks, so a linked
// ~/bin/mlstack finds the real install's), else on PATH.
func findKubeBinary() (string, error) {
	next := "(unknown: " + KubeBinary + " next to mlstack)"
	if self, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(self); err == nil {
			self = real
		}
		next = filepath.Join(filepath.Dir(self), KubeBinary)
		if fi, err := os.Stat(next); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return next, nil
		}
	}
	onPath, err := exec.LookPath(KubeBinary)
	if err == nil {
		return onPath, nil
	}
	if !errors.Is(err, exec.ErrNotFound) {
		return "", fmt.Errorf("look for %s on PATH: %w", KubeBinary, err)
	}
	return "", fmt.Errorf("commands on a Kubernetes cluster (and export kubernetes) run in %s, the binary with the cluster backend, and it was not found: not at %s, not on PATH; `make install` installs it with mlstack (or `make build` puts both in bin/)", KubeBinary, next)
}
