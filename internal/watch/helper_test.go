package watch

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/testenv"
)

// TestHelperRoundTrips starts the helper in a FROM scratch container many times over and checks
// every connection answers: hello, stat, write and list — for the static build `make build` makes,
// and for a dynamically linked one (a plain `go build` with cgo), which ships its own loader and libraries.
func TestHelperRoundTrips(t *testing.T) {
	eng := testenv.Integration(t)
	img := testenv.FixtureImage(t, eng)
	dynamic := filepath.Join(t.TempDir(), "mlstack-dynamic")
	build := exec.Command("go", "build", "-o", dynamic, "./cmd/mlstack")
	build.Dir = testenv.ModuleRoot(t)
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build a cgo mlstack: %v\n%s", err, out)
	}
	if !hasInterp(t, dynamic) {
		t.Logf("a cgo build came out static on this host; both cases test the static path")
	}
	for name, bin := range map[string]string{"static": testenv.Binary(t), "dynamic": dynamic} {
		t.Run(name, func(t *testing.T) {
			h, err := FindHelper(bin)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			c, err := eng.ContainerCreate(ctx, &container.Config{Image: img, Cmd: []string{"sleep"}}, nil, nil, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { eng.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}) })
			if err := eng.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := h.Install(ctx, eng, c.ID); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 20; i++ {
				// A bound for a hung helper, not a timing assertion: loaded CI machines need room.
				cctx, cancel := context.WithTimeout(ctx, time.Minute)
				conn, err := h.Connect(cctx, eng, c.ID, []string{"/app"})
				if err != nil {
					cancel()
					t.Fatalf("connect %d: %v", i, err)
				}
				if _, err := conn.Stat(cctx, "/app/src"); err != nil {
					t.Fatalf("stat %d: %v%s", i, err, conn.stderrTail())
				}
				if _, err := conn.List(cctx, "/app", false); err != nil {
					t.Fatalf("list %d: %v%s", i, err, conn.stderrTail())
				}
				conn.Close()
				cancel()
			}
		})
	}
}

func hasInterp(t *testing.T, path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
}
