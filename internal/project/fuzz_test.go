package project

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary compose files to the loader: it may refuse them, never crash.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/fuzz-seeds/*.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("services:\n  a: {image: x}\n")
	f.Fuzz(func(t *testing.T, content string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "compose.yaml")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Load(context.Background(), Options{WorkingDir: dir, Files: []string{path}, Name: "fuzz", NoPersisted: true})
		if err == nil && p.Project == nil {
			t.Fatal("Load returned neither a project nor an error")
		}
	})
}
