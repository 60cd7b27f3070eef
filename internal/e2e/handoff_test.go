package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlstack/mlstack/internal/testenv"
)

// runBin runs bin with args in dir and the given environment additions.
func runBin(t *testing.T, bin, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s %v: %v", bin, args, err)
	}
	return out.String(), errb.String(), code
}

// emptyKubeconfig writes a kubeconfig with no contexts: only the cluster backend reads it, and its
// error ("not in the kubeconfig") shows that mlstack-kube ran.
func emptyKubeconfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// mlstack hands cluster commands to the mlstack-kube beside it, whose own error and exit code reach
// the user; commands with no cluster meaning are refused by mlstack itself.
func TestClusterCommandsHandOffToMlstackKube(t *testing.T) {
	bin := testenv.Binary(t)
	if _, err := os.Stat(filepath.Join(filepath.Dir(bin), "mlstack-kube")); err != nil {
		t.Fatalf("mlstack-kube is not next to %s (make build puts both in bin/): %v", bin, err)
	}
	dir := t.TempDir()
	env := []string{"KUBECONFIG=" + emptyKubeconfig(t)}
	byVariable := append(env, "MLSTACK_KUBE_CONTEXT=nowhere")
	for _, c := range []struct {
		env  []string
		args []string
	}{
		{env, []string{"--kube-context", "nowhere", "-p", "handoff", "ps"}},
		{byVariable, []string{"-p", "handoff", "down"}},
		{byVariable, []string{"-p", "handoff", "logs", "--tail", "1"}},
	} {
		_, stderr, code := runBin(t, bin, dir, c.env, c.args...)
		if code != 1 || !strings.Contains(stderr, `kube context "nowhere": not in the kubeconfig`) {
			t.Errorf("mlstack %s: exit %d, want 1 and mlstack-kube's kubeconfig error:\n%s", strings.Join(c.args, " "), code, stderr)
		}
	}
	_, stderr, code := runBin(t, bin, dir, env, "--kube-context", "nowhere", "-p", "handoff", "stop")
	if code != 1 || !strings.Contains(stderr, "mlstack stop has no meaning on a Kubernetes cluster") {
		t.Errorf("stop under a kube context: exit %d, want 1 and the refusal:\n%s", code, stderr)
	}
}

// Without mlstack-kube, a cluster command says where it looked and how to get it; Docker commands
// and refusals do not need it.
func TestMissingMlstackKubeIsNamed(t *testing.T) {
	alone := t.TempDir()
	bin := filepath.Join(alone, "mlstack")
	b, err := os.ReadFile(testenv.Binary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := []string{"PATH=" + t.TempDir(), "KUBECONFIG=" + emptyKubeconfig(t)}
	for _, args := range [][]string{
		{"--kube-context", "nowhere", "-p", "handoff", "ps"},
		{"export", "kubernetes", "-o", filepath.Join(dir, "out")},
	} {
		_, stderr, code := runBin(t, bin, dir, env, args...)
		for _, want := range []string{"mlstack-kube", filepath.Join(alone, "mlstack-kube"), "not on PATH", "make install"} {
			if code != 1 || !strings.Contains(stderr, want) {
				t.Errorf("mlstack %s without mlstack-kube: exit %d, want 1 and %q in:\n%s", strings.Join(args, " "), code, want, stderr)
			}
		}
	}
	_, stderr, code := runBin(t, bin, dir, env, "--kube-context", "nowhere", "-p", "handoff", "stop")
	if code != 1 || !strings.Contains(stderr, "has no meaning on a Kubernetes cluster") {
		t.Errorf("stop under a kube context without mlstack-kube: exit %d, want the refusal:\n%s", code, stderr)
	}
	if out, stderr, code := runBin(t, bin, dir, env, "version"); code != 0 || out == "" {
		t.Errorf("version without mlstack-kube: exit %d: %s", code, stderr)
	}
}

// Both binaries have the same commands, global flags and help.
func TestBothBinariesHaveTheSameHelp(t *testing.T) {
	bin := testenv.Binary(t)
	kube := filepath.Join(filepath.Dir(bin), "mlstack-kube")
	for _, args := range [][]string{{"--help"}, {"up", "--help"}, {"completion", "bash"}} {
		a, _, _ := runBin(t, bin, t.TempDir(), nil, args...)
		b, _, _ := runBin(t, kube, t.TempDir(), nil, args...)
		if a == "" || a != b {
			t.Errorf("mlstack %s and mlstack-kube %s differ (or are empty):\n%s\n---\n%s", strings.Join(args, " "), strings.Join(args, " "), a, b)
		}
	}
}
