package build

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/testenv"
)

// BenchmarkHash10k hashes a 10,000-file ML project: 1,000 source files and 9,000 under ignored
// data/, models/ and .venv/. "warm" has the content-hash cache in place; "cold" starts without it.
func BenchmarkHash10k(b *testing.B) {
	dir := b.TempDir()
	src := strings.Repeat("import numpy as np\n", 50) // about 1 KB
	tree := map[string]string{
		"Dockerfile":    "FROM python:3.11\nCOPY . /app\n",
		".dockerignore": "data\nmodels\n.venv\n**/__pycache__\n",
	}
	for i := range 1000 {
		tree[fmt.Sprintf("src/pkg%02d/mod%03d.py", i%50, i)] = src
	}
	for i := range 3000 {
		tree[fmt.Sprintf("data/shard%02d/part%04d.csv", i%30, i)] = "1,2,3\n"
		tree[fmt.Sprintf("models/run%02d/ckpt%04d.bin", i%30, i)] = "weights"
		tree[fmt.Sprintf(".venv/lib/site-packages/p%02d/f%04d.py", i%30, i)] = src
	}
	testenv.WriteFiles(b, dir, tree)

	c := newContext(b, dir, types.BuildConfig{Args: types.MappingWithEquals{}})
	// Files just written are inside the racy window; pretend they are older so they can be cached.
	c.now = func() time.Time { return time.Now().Add(time.Hour) }
	ids := map[string]string{"python:3.11": "sha256:0123"}
	ctx := context.Background()

	b.Run("warm", func(b *testing.B) {
		if _, err := c.Hash(ctx, ids); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := c.Hash(ctx, ids); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			os.Remove(c.CachePath)
			b.StartTimer()
			if _, err := c.Hash(ctx, ids); err != nil {
				b.Fatal(err)
			}
		}
	})
}
