package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mlstack/mlstack/internal/testenv"
)

// mlstackIn runs the mlstack binary in dir, without a project name: as a user types it.
func mlstackIn(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(testenv.Binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run mlstack %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func TestInitWritesAProjectConfigAccepts(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, code := mlstackIn(t, dir, "init"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	for _, f := range []string{"compose.yaml", "Dockerfile", "requirements.txt", ".dockerignore", ".gitignore", "src/train.py", "src/serve.py"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("init did not write %s", f)
		}
	}
	out, stderr, code := mlstackIn(t, dir, "config", "--services")
	if code != 0 {
		t.Fatalf("config: exit %d: %s", code, stderr)
	}
	svcs := strings.Fields(out)
	for _, want := range []string{"mlflow", "inference", "feature-store"} {
		if !slices.Contains(svcs, want) {
			t.Errorf("config --services = %v, want %s", svcs, want)
		}
	}
	out, _, _ = mlstackIn(t, dir, "config", "--profiles")
	if strings.Join(strings.Fields(out), ",") != "monitoring,training" {
		t.Errorf("config --profiles = %q, want monitoring and training", out)
	}
	out, _, _ = mlstackIn(t, dir, "--profile", "training", "config", "training")
	if !strings.Contains(out, "MLFLOW_TRACKING_URI") || !strings.Contains(out, "capabilities:") {
		t.Errorf("training is missing its tracking URI or GPU reservation:\n%s", out)
	}

	// A second init refuses, lists what exists, and changes nothing.
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services: {mine: {image: x}}\n"), 0o644)
	_, stderr, code = mlstackIn(t, dir, "init")
	if code == 0 || !strings.Contains(stderr, "compose.yaml") || !strings.Contains(stderr, "--force") {
		t.Errorf("second init: exit %d, stderr %q; want a refusal listing compose.yaml and naming --force", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "compose.yaml")); !strings.Contains(string(b), "mine") {
		t.Error("a refused init overwrote compose.yaml")
	}
	if _, stderr, code := mlstackIn(t, dir, "init", "--force"); code != 0 {
		t.Fatalf("init --force: exit %d: %s", code, stderr)
	}
}

func TestInitIntoDirWithRoles(t *testing.T) {
	root := t.TempDir()
	if _, stderr, code := mlstackIn(t, root, "init", "svc", "--roles", "inference,monitoring"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	out, stderr, code := mlstackIn(t, filepath.Join(root, "svc"), "--profile", "monitoring", "config", "--services")
	if code != 0 || strings.Join(strings.Fields(out), ",") != "inference,prometheus" {
		t.Errorf("config --services = %q (exit %d, %s), want inference, prometheus", out, code, stderr)
	}
	_, stderr, code = mlstackIn(t, root, "init", "other", "--roles", "inference,gpu-farm")
	if code == 0 || !strings.Contains(stderr, "gpu-farm") || !strings.Contains(stderr, "feature-store") {
		t.Errorf("unknown role: exit %d, stderr %q", code, stderr)
	}
}

// profile add brings a catalog role into a user's project with an include: and keeps the file.
func TestProfileAdd(t *testing.T) {
	dir := t.TempDir()
	user := "# ours\nservices:\n  web:\n    image: mlstack-fixture:latest\n"
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(user), 0o644)
	if _, stderr, code := mlstackIn(t, dir, "profile", "add", "monitoring"); code != 0 {
		t.Fatalf("profile add: exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "compose.yaml"))
	if !strings.HasSuffix(string(b), user[len("# ours\n"):]) || !strings.Contains(string(b), "include:\n  - mlstack/monitoring.yaml\n") {
		t.Errorf("compose.yaml after add:\n%s", b)
	}
	out, _, _ := mlstackIn(t, dir, "profile", "list")
	if !strings.Contains(out, "monitoring") || !strings.Contains(out, "prometheus") {
		t.Errorf("profile list after add:\n%s", out)
	}
	if _, stderr, code := mlstackIn(t, dir, "profile", "add", "monitoring"); code == 0 || !strings.Contains(stderr, "already") {
		t.Errorf("second add: exit %d, %s", code, stderr)
	}
}
