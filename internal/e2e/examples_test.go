package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mlstack/mlstack/internal/testenv"
)

// Every shipped example loads with `mlstack config`, with every profile on, and with its offline
// override where it has one.
func TestExamplesLoad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.ModuleRoot(t), "examples", "*", "compose.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples/*/compose.yaml found (%v)", err)
	}
	for _, f := range files {
		dir := filepath.Dir(f)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			variants := [][]string{{"-f", f}}
			if _, err := os.Stat(filepath.Join(dir, "compose.offline.yaml")); err == nil {
				variants = append(variants, []string{"-f", f, "-f", filepath.Join(dir, "compose.offline.yaml")})
			}
			for _, v := range variants {
				args := append(append([]string{}, v...), "config", "--profiles", "-q")
				if _, stderr, code := mlstackIn(t, dir, args...); code != 0 {
					t.Errorf("mlstack %v: exit %d: %s", args, code, stderr)
				}
				args = append(append([]string{}, v...), "config", "-q")
				if _, stderr, code := mlstackIn(t, dir, args...); code != 0 {
					t.Errorf("mlstack %v: exit %d: %s", args, code, stderr)
				}
			}
		})
	}
}
