package scaffold

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/mlstack/mlstack/internal/lint"
	"github.com/mlstack/mlstack/internal/project"
)

func loadDir(t *testing.T, dir string) *project.Project {
	t.Helper()
	p, err := project.Load(context.Background(), project.Options{WorkingDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}, NoPersisted: true, AllProfiles: true})
	if err != nil {
		t.Fatalf("load scaffolded project: %v", err)
	}
	return p
}

func TestInitRoles(t *testing.T) {
	tests := []struct {
		roles    []string
		services []string
		profiles []string
		builds   bool
	}{
		{nil, []string{"feature-store", "inference", "mlflow", "prometheus", "training"}, []string{"monitoring", "training"}, true},
		{[]string{"inference", "mlflow"}, []string{"inference", "mlflow"}, nil, true},
		{[]string{"feature-store", "monitoring"}, []string{"feature-store", "prometheus"}, []string{"monitoring"}, false},
		{[]string{"training"}, []string{"training"}, []string{"training"}, true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.roles, ","), func(t *testing.T) {
			dir := t.TempDir()
			if _, err := Init(InitOptions{Dir: dir, Roles: tt.roles}); err != nil {
				t.Fatal(err)
			}
			p := loadDir(t, dir)
			var got []string
			for n := range p.All {
				got = append(got, n)
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tt.services) {
				t.Errorf("services = %v, want %v", got, tt.services)
			}
			if gp := project.KnownProfiles(p.All); !reflect.DeepEqual(gp, tt.profiles) && len(gp)+len(tt.profiles) > 0 {
				t.Errorf("profiles = %v, want %v", gp, tt.profiles)
			}
			_, err := os.Stat(filepath.Join(dir, "Dockerfile"))
			if (err == nil) != tt.builds {
				t.Errorf("Dockerfile written = %v, want %v", err == nil, tt.builds)
			}
			if tr, ok := p.All["training"]; ok && p.All["mlflow"].Name != "" {
				if d, ok := tr.DependsOn["mlflow"]; !ok || d.Required {
					t.Errorf("training depends_on mlflow = %+v, want an optional dependency", tr.DependsOn)
				}
			}
		})
	}
}

// What init writes follows the linter's rules: no finding at all, not even a warning.
func TestInitPassesLint(t *testing.T) {
	dir := t.TempDir()
	if _, err := Init(InitOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	fs, err := lint.LintDockerfile(filepath.Join(dir, "Dockerfile"), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		t.Errorf("lint finding: %+v", f)
	}
	b, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if !strings.Contains(string(b), ".mlstack/") {
		t.Errorf(".gitignore does not ignore .mlstack/:\n%s", b)
	}
	b, _ = os.ReadFile(filepath.Join(dir, ".dockerignore"))
	for _, want := range []string{".git", "data/", "models/", "__pycache__/", ".mlstack/"} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf(".dockerignore misses %s", want)
		}
	}
	b, _ = os.ReadFile(filepath.Join(dir, "requirements.txt"))
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") && !strings.Contains(l, "==") {
			t.Errorf("requirements.txt line %q is not pinned with ==", l)
		}
	}
	if py, err := exec.LookPath("python3"); err == nil {
		for _, f := range []string{"src/train.py", "src/serve.py"} {
			if out, err := exec.Command(py, "-m", "py_compile", filepath.Join(dir, f)).CombinedOutput(); err != nil {
				t.Errorf("%s does not compile: %s", f, out)
			}
		}
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("mine\n"), 0o644)
	_, err := Init(InitOptions{Dir: dir})
	var ee *ExistsError
	if !errors.As(err, &ee) || !reflect.DeepEqual(ee.Files, []string{"compose.yaml"}) {
		t.Fatalf("err = %v, want an ExistsError naming compose.yaml", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Dockerfile")); err == nil {
		t.Error("a refused init wrote files")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "compose.yaml")); string(b) != "mine\n" {
		t.Error("compose.yaml was overwritten")
	}
	if _, err := Init(InitOptions{Dir: dir, Force: true}); err != nil {
		t.Fatal(err)
	}
	loadDir(t, dir)
}

func TestInitUnknownRole(t *testing.T) {
	_, err := Init(InitOptions{Dir: t.TempDir(), Roles: []string{"inference", "gpu-farm"}})
	if err == nil || !strings.Contains(err.Error(), `"gpu-farm"`) || !strings.Contains(err.Error(), "monitoring") {
		t.Fatalf("err = %v, want one naming the role and listing the catalog", err)
	}
}
