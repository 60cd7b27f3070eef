package watch

import (
	"context"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/testenv"
)

// TestHelperRoundTrips starts the helper in a FROM scratch container many times over and checks
// every connection answers: hello, stat, write and list.
func TestHelperRoundTrips(t *testing.T) {
	eng := testenv.Integration(t)
	img := testenv.FixtureImage(t, eng)
	bin := testenv.Binary(t)
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
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := Connect(cctx, eng, c.ID, []string{"/app"})
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
}
